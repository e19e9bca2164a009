package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
)

// distil turns an ensemble into one network that evaluate and predict
// take like any model, and refuses to overwrite its teacher.
func TestDistilCommand(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()
	ens, student := filepath.Join(dir, "ensemble"), filepath.Join(dir, "student")
	mustRun(t, "finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "label", "-out", ens,
		"-folds", "2", "-fold-repeats", "1", "-epochs", "3", "-quiet")
	stdout, _ := mustRun(t, "distil", "-model", ens, "-data", f.unlabelled, "-out", student, "-epochs", "3", "-quiet")
	for _, want := range []string{"saved the distilled model to " + student, "held-out rows the student predicts its teacher's class (2 networks)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("distil printed %q; want %q in it", stdout, want)
		}
	}
	m, err := gotabular.Load(student)
	if err != nil {
		t.Fatal(err)
	}
	teacher, err := gotabular.Load(ens)
	if err != nil {
		t.Fatal(err)
	}
	if d := m.Distillation; d == nil || d.TeacherMembers != 2 || 2*m.ParameterCount() != teacher.ParameterCount() {
		t.Errorf("student: %+v, %d parameters; want 2 teacher members and half of %d parameters", d, m.ParameterCount(), teacher.ParameterCount())
	}
	if out, _ := mustRun(t, "evaluate", "-model", student, "-data", f.test); !strings.Contains(out, "roc_auc") {
		t.Errorf("evaluate printed %q", out)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-out", ens}, "the student would replace its teacher"},
		{[]string{"-out", filepath.Join(dir, "x"), "-valid-share", "1"}, "-valid-share 1"},
		{[]string{"-out", filepath.Join(dir, "x"), "-model", f.pretrained}, "only a supervised or fine-tuned model"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"distil", "-model", ens, "-data", f.unlabelled}, tt.args...)
			code, _, stderr := runArgs(t, args...)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit status %d, stderr %q; want 1 and %q", code, stderr, tt.want)
			}
		})
	}
}
