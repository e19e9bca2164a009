package gotabular_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
)

// A cross-fitted ensemble's student is one network that predicts nearly as
// the ensemble does, on rows it never learned from, and saves and loads
// with its record of the distillation.
func TestDistil(t *testing.T) {
	pre := pretrained(t)
	labelled, unlabelled, test := synthetic(120, 5), synthetic(1500, 7), synthetic(400, 6)
	for _, tc := range []struct {
		task, target, other string
	}{
		{config.Classification, "label", "amount"},
		{config.Regression, "amount", "label"},
	} {
		t.Run(tc.task, func(t *testing.T) {
			tr := quiet
			tr.MaxEpochs, tr.Folds, tr.FoldRepeats = 30, 3, 1
			ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: tc.task, Target: tc.target,
				Train: labelled.Without(tc.other), Trainer: &tr})
			if err != nil {
				t.Fatal(err)
			}
			if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{}); err != nil {
				t.Fatal(err)
			}
			before, err := ft.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			dt := gotabular.DefaultDistilTrainer()
			dt.Quiet = true
			s, err := ft.Distil(context.Background(), unlabelled.Without(tc.target), gotabular.DistilOptions{Trainer: &dt})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := s.ParameterCount(), ft.ParameterCount()/3; got != want {
				t.Errorf("student has %d parameters, want one member's %d", got, want)
			}
			d := s.Distillation
			if d == nil || d.TeacherMembers != 3 || d.Rows+d.ValidationRows != unlabelled.Rows || d.ValidationRows == 0 {
				t.Fatalf("Distillation %+v: want 3 members and %d rows in all", d, unlabelled.Rows)
			}
			if got := s.TrainerConfig; got.Members() != 1 || got.MaxEpochs != dt.MaxEpochs {
				t.Errorf("the student's trainer config %+v is not the distillation's, of one network", got)
			}
			if !reflect.DeepEqual(d.TeacherCrossValidation, ft.CrossValidation) || s.CrossValidation != nil {
				t.Errorf("the student's record keeps the teacher's cross-validation and has none of its own")
			}
			after, err := ft.Predict(test)
			if err != nil || !reflect.DeepEqual(before, after) {
				t.Fatalf("Distil changed its teacher (%v)", err)
			}
			student, err := s.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			// On the test rows, which neither saw, the student is close to
			// its teacher: the same class nearly always, or a value within a
			// small share of the target's spread.
			if tc.task == config.Classification {
				var diff float64
				for i := range test.Rows {
					diff += math.Abs(float64(student.Probabilities.At(i, 0)-before.Probabilities.At(i, 0))) / float64(test.Rows)
				}
				if diff > 0.03 || d.Agreement < 0.9 {
					t.Errorf("the student's probabilities differ from its teacher's by %.3f on average on the test rows, and it agrees with its teacher on %.3f of the held-out ones; want ≤ 0.03 and ≥ 0.9", diff, d.Agreement)
				}
			} else {
				var diff, spread, mean float64
				for _, v := range before.Values {
					mean += v / float64(len(before.Values))
				}
				for i, v := range student.Values {
					diff += (v - before.Values[i]) * (v - before.Values[i])
					spread += (before.Values[i] - mean) * (before.Values[i] - mean)
				}
				if r := math.Sqrt(diff / spread); r > 0.2 || !(d.TeacherRMSE > 0) {
					t.Errorf("the student's predictions differ from its teacher's by %.3f of their spread (held out: RMSE %v); want ≤ 0.2", r, d.TeacherRMSE)
				}
			}
			back := roundTrip(t, s)
			if !reflect.DeepEqual(back.Distillation, s.Distillation) {
				t.Errorf("Distillation after a round trip %+v, want %+v", back.Distillation, s.Distillation)
			}
			again, err := back.Predict(test)
			if err != nil || !reflect.DeepEqual(again, student) {
				t.Errorf("the loaded student predicts otherwise (%v)", err)
			}
		})
	}
}

func TestDistilErrors(t *testing.T) {
	pre := pretrained(t)
	ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: config.Classification, Target: "label",
		Train: synthetic(80, 5).Without("amount"), Trainer: &quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{MaxEpochs: 2}); err != nil {
		t.Fatal(err)
	}
	rows := synthetic(200, 7)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		m    *gotabular.TabularModel
		ctx  context.Context
		rows int
		o    gotabular.DistilOptions
		want error
	}{
		{"pretrained", pre, context.Background(), 200, gotabular.DistilOptions{}, gotabular.ErrKind},
		{"one row", ft, context.Background(), 1, gotabular.DistilOptions{}, nil},
		{"share", ft, context.Background(), 200, gotabular.DistilOptions{ValidationShare: 1}, nil},
		{"rate", ft, context.Background(), 200, gotabular.DistilOptions{LearningRate: math.NaN()}, nil},
		{"cancelled", ft, cancelled, 200, gotabular.DistilOptions{}, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.m.Distil(tc.ctx, rows.Take(firstRows(tc.rows)), tc.o)
			if err == nil || s != nil {
				t.Fatalf("Distil gave a model and error %v; want an error alone", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want one wrapping %v", err, tc.want)
			}
		})
	}
}

// firstRows lists the rows 0..n-1.
func firstRows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}
