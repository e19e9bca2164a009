package gotabular_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
)

func TestCrossFit(t *testing.T) {
	pre := pretrained(t)
	labelled, test := synthetic(120, 5), synthetic(300, 6)
	for _, tc := range []struct {
		name    string
		task    string
		folds   int
		repeats int
	}{
		{"classification 3 folds", config.Classification, 3, 0},
		{"classification 2 folds twice", config.Classification, 2, 2},
		{"regression 3 folds", config.Regression, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, other := "label", "amount"
			if tc.task == config.Regression {
				target, other = "amount", "label"
			}
			tr := quiet
			tr.MaxEpochs, tr.Folds, tr.FoldRepeats = 30, tc.folds, tc.repeats
			ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: tc.task, Target: target,
				Train: labelled.Without(other), Trainer: &tr})
			if err != nil {
				t.Fatal(err)
			}
			if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{}); err != nil {
				t.Fatal(err)
			}
			members := tc.folds * max(tc.repeats, 1)
			if ft.History == nil || len(ft.MemberHistories) != members-1 {
				t.Fatalf("history of the first member %v and %d more; want %d in all", ft.History != nil, len(ft.MemberHistories), members)
			}
			pred, err := ft.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			figs, err := ft.Evaluate(test)
			if err != nil {
				t.Fatal(err)
			}
			if tc.task == config.Classification {
				for i := range test.Rows {
					var sum float64
					for _, p := range pred.Probabilities.Row(i) {
						sum += float64(p)
					}
					if math.Abs(sum-1) > 1e-5 {
						t.Fatalf("row %d: probabilities sum to %v", i, sum)
					}
				}
				if figs["roc_auc"] < 0.8 {
					t.Errorf("test ROC-AUC %.3f of the ensemble; the data is easy", figs["roc_auc"])
				}
			} else if figs["r2"] < 0.5 {
				t.Errorf("test R² %.3f of the ensemble; the data is easy", figs["r2"])
			}
			f, err := ft.Featurize(test)
			if err != nil || f.Rows != test.Rows {
				t.Fatalf("Featurize: %v", err)
			}
			back := roundTrip(t, ft)
			again, err := back.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			if tc.task == config.Classification {
				if !equal(pred.Probabilities.Data, again.Probabilities.Data) {
					t.Error("the loaded ensemble predicts other probabilities")
				}
			} else {
				for i, v := range pred.Values {
					if again.Values[i] != v {
						t.Fatalf("row %d: the loaded ensemble predicts %v, not %v", i, again.Values[i], v)
					}
				}
			}
			cv := ft.CrossValidation
			metric := map[string]string{config.Classification: "roc_auc", config.Regression: "rmse"}[tc.task]
			if _, ok := cv[metric]; !ok {
				t.Errorf("cross-validated figures %v lack %s", cv, metric)
			}
			// Out-of-fold predictions come from single members trained on
			// part of the rows: well above chance, though below the
			// ensemble's test figure. A misaligned row would bring them to
			// chance; TestCrossValidateAligned checks the alignment itself.
			if tc.task == config.Classification && cv["roc_auc"] < 0.65 {
				t.Errorf("out-of-fold ROC-AUC %.3f (test %.3f): near chance", cv["roc_auc"], figs["roc_auc"])
			}
			if back.CrossValidation[metric] != cv[metric] {
				t.Errorf("the loaded model's cross-validated %s is %v, not %v", metric, back.CrossValidation[metric], cv[metric])
			}
			if len(back.MemberHistories) != members-1 {
				t.Errorf("the loaded ensemble has %d member histories, want %d", len(back.MemberHistories), members-1)
			}
		})
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCrossFitMembersDiffer checks that the members are trained apart: a
// cross-fitted ensemble is not one model repeated.
func TestCrossFitMembersDiffer(t *testing.T) {
	tr := quiet
	tr.MaxEpochs, tr.Folds = 6, 3
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, gotabular.DefaultNetwork().Supervised(config.Classification), config.OptimizerConfig{}, tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(context.Background(), synthetic(150, 8).Without("amount"), nil); err != nil {
		t.Fatal(err)
	}
	params := paramsOf(t, m)
	first, ok1 := params["head.1.linear.weight"]
	second, ok2 := params["member1/head.1.linear.weight"]
	if !ok1 || !ok2 {
		var names []string
		for n := range params {
			names = append(names, n)
		}
		t.Fatalf("no head weights of members 0 and 1 among %s", strings.Join(names, " "))
	}
	if equal(first, second) {
		t.Error("members 0 and 1 have the same head weights")
	}
	back := roundTrip(t, m)
	if len(paramsOf(t, back)) != len(params) {
		t.Errorf("the loaded model has %d parameters, want %d", len(paramsOf(t, back)), len(params))
	}
}

func TestCrossFitErrors(t *testing.T) {
	tr := quiet
	tr.Folds = 3
	m, err := gotabular.New(config.DataConfig{}, daeConfig(), config.OptimizerConfig{}, tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), synthetic(50, 1), nil); err == nil || !strings.Contains(err.Error(), "folds") {
		t.Errorf("pretraining with folds: %v, want an error", err)
	}
	tr.Folds = 101
	if err := tr.Validate(); err == nil {
		t.Error("101 folds passed validation")
	}
	tr.Folds, tr.FoldRepeats = 0, 3
	if err := tr.Validate(); err == nil {
		t.Error("fold repeats without folds passed validation")
	}
	// Fewer labelled rows than folds.
	pre := pretrained(t)
	tr = quiet
	tr.Folds = 5
	few := synthetic(200, 3).Take([]int{0, 1, 2})
	if _, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: config.Classification, Target: "label", Train: few, Trainer: &tr}); err == nil {
		t.Error("5 folds of 3 rows: no error")
	}
}

// TestLoadBadMembers checks that a damaged member count is refused.
func TestLoadBadMembers(t *testing.T) {
	tr := quiet
	tr.Folds = 2
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, gotabular.DefaultNetwork().Supervised(config.Classification), config.OptimizerConfig{}, tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(context.Background(), synthetic(80, 8).Without("amount"), nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, gotabular.ModelFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{`"members": 2`, `"members": 1`, "members 1"},
		{`"members": 2`, `"members": 3`, "weights"},
		{`"members": 2`, `"members": -2`, "members -2"},
	} {
		t.Run(tc.to, func(t *testing.T) {
			bad := strings.Replace(string(b), tc.from, tc.to, 1)
			if bad == string(b) {
				t.Fatalf("model.json lacks %s", tc.from)
			}
			if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := gotabular.Load(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func TestDeepFeatures(t *testing.T) {
	pre := pretrained(t)
	tr := quiet
	tr.MaxEpochs = 3
	ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: config.Classification, Target: "label",
		Train: synthetic(100, 5).Without("amount"), Trainer: &tr, DeepFeatures: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{}); err != nil {
		t.Fatal(err)
	}
	test := synthetic(50, 6)
	f, err := ft.Featurize(test)
	if err != nil {
		t.Fatal(err)
	}
	// daeConfig's encoder is 32-16: the head reads both layers.
	if f.Cols != 32+16 {
		t.Errorf("%d features, want the 48 of both encoder layers", f.Cols)
	}
	pred, err := ft.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, ft)
	again, err := back.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(pred.Probabilities.Data, again.Probabilities.Data) {
		t.Error("the loaded model predicts other probabilities")
	}
}

func TestSelfTraining(t *testing.T) {
	pre := pretrained(t)
	labelled := synthetic(60, 5).Without("amount")
	unlabelled := synthetic(300, 9).Without("amount", "label")
	tr := quiet
	tr.MaxEpochs, tr.Folds = 30, 2
	fit := func(pseudo int) *gotabular.TabularModel {
		ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: config.Classification, Target: "label",
			Train: labelled, Trainer: &tr, Unlabelled: unlabelled, PseudoLabels: pseudo})
		if err != nil {
			t.Fatal(err)
		}
		if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{}); err != nil {
			t.Fatal(err)
		}
		return ft
	}
	plain, self := fit(0), fit(100)
	test := synthetic(100, 6)
	a, err := plain.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	b, err := self.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	if equal(a.Probabilities.Data, b.Probabilities.Data) {
		t.Error("self-training changed nothing")
	}
	p, _ := plain.Evaluate(test)
	if figs, err := self.Evaluate(test); err != nil || figs["roc_auc"] < 0.8 {
		t.Errorf("self-trained test ROC-AUC %.3f (%v), %.3f without; the data is easy", figs["roc_auc"], err, p["roc_auc"])
	}
	back := roundTrip(t, self)
	c, err := back.Predict(test)
	if err != nil || !equal(b.Probabilities.Data, c.Probabilities.Data) {
		t.Errorf("the loaded self-trained model predicts otherwise (%v)", err)
	}
	for _, tc := range []struct {
		name string
		opts gotabular.FinetuneOptions
		want string
	}{
		{"regression", gotabular.FinetuneOptions{Task: config.Regression, Target: "amount", Train: synthetic(60, 5).Without("label"), Unlabelled: unlabelled, PseudoLabels: 10}, "classification"},
		{"no unlabelled rows", gotabular.FinetuneOptions{Task: config.Classification, Target: "label", Train: labelled, PseudoLabels: 10}, "Unlabelled"},
		{"negative", gotabular.FinetuneOptions{Task: config.Classification, Target: "label", Train: labelled, Unlabelled: unlabelled, PseudoLabels: -1}, "≥ 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pre.CreateFinetuneModel(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one about %q", err, tc.want)
			}
		})
	}
}

// TestScratchShare checks that with ScratchShare the members picked start
// from the weights an untrained model has (those of Initialize), spread
// evenly, and the others from the pretrained ones.
func TestScratchShare(t *testing.T) {
	pre := pretrained(t)
	fresh, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, daeConfig(), config.OptimizerConfig{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.Initialize(synthetic(600, 1).Without("label", "amount")); err != nil {
		t.Fatal(err)
	}
	tr := quiet
	tr.Folds, tr.FoldRepeats = 2, 2
	create := func(m *gotabular.TabularModel, share float64) map[string][]float32 {
		t.Helper()
		ft, err := m.CreateFinetuneModel(gotabular.FinetuneOptions{Task: config.Classification,
			Train: synthetic(80, 5).Without("amount"), Trainer: &tr, ScratchShare: share})
		if err != nil {
			t.Fatal(err)
		}
		return values(gotabular.ParamsForTest(ft))
	}
	mixed, fromPre, fromFresh := create(pre, 0.5), create(pre, 0), create(fresh, 0)
	const w = "encoder.0.linear.weight"
	for i, scratch := range []bool{false, true, false, true} {
		name := w
		if i > 0 {
			name = fmt.Sprintf("member%d/%s", i, w)
		}
		got, ok := mixed[name]
		if !ok {
			t.Fatalf("no parameter %s", name)
		}
		want, other := fromPre[name], fromFresh[name]
		if scratch {
			want, other = other, want
		}
		if !equal(got, want) || equal(got, other) {
			t.Errorf("member %d: scratch %v, but its encoder's weights are not those of that start", i, scratch)
		}
	}
	if _, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: config.Classification,
		Train: synthetic(80, 5).Without("amount"), ScratchShare: 1.5}); err == nil {
		t.Error("ScratchShare 1.5 was accepted")
	}
}
