// Package fewlabel runs the few-label benchmark of `gotabular bench
// fewlabel`: for each dataset of a manifest, each seed and each number of
// labelled rows, pretrain on every training row without its label, train
// each method on the labelled rows, and score it on the test rows.
//
// The protocol (which rows are test, unlabelled and labelled rows, how
// values are read) is that of the reference figures in the project's
// shared benchmark notes, so that the scores can be compared, seed by
// seed, with XGBoost and the reference linear model on identical rows.
package fewlabel

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Entry describes one dataset of a manifest.
type Entry struct {
	Name        string   `json:"name"`
	Task        string   `json:"task"` // "binary classification", "regression", ...
	Target      string   `json:"target"`
	Positive    string   `json:"positive"` // the positive class of a binary target
	Categorical []string `json:"categorical"`
	Files       []File   `json:"files"`
}

// File is one CSV file of a dataset.
type File struct {
	File    string   `json:"file"`
	Rows    int      `json:"rows"`
	Columns []string `json:"columns"`
}

// The tasks the benchmark scores.
const (
	Binary     = "binary"     // ROC-AUC of the positive class
	Regression = "regression" // RMSE in the target's units
)

// Kind returns Binary, Regression, or the first word of Task for a task the
// benchmark does not score (such as "multiclass").
func (e Entry) Kind() string {
	k, _, _ := strings.Cut(strings.TrimSpace(e.Task), " ")
	return strings.ToLower(k)
}

// Metric is the name of the figure a dataset is scored by.
func (e Entry) Metric() string {
	if e.Kind() == Regression {
		return "rmse"
	}
	return "roc_auc"
}

// hasFile reports whether the dataset has a file of that name.
func (e Entry) hasFile(name string) bool {
	return slices.ContainsFunc(e.Files, func(f File) bool { return f.File == name })
}

// TrainTest reports whether the dataset comes as train.csv and test.csv,
// rather than one data.csv split by the protocol.
func (e Entry) TrainTest() bool { return e.hasFile("train.csv") && e.hasFile("test.csv") }

// Manifest is the list of datasets.
type Manifest struct {
	Path    string // the file it was read from
	Entries []Entry
}

// ReadManifest reads a manifest file: a JSON list of [Entry].
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseManifest(b, path)
}

// ParseManifest decodes a manifest read from path and checks that every
// entry has a name of its own, a target and its files.
func ParseManifest(b []byte, path string) (*Manifest, error) {
	var es []Entry
	if err := json.Unmarshal(b, &es); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, e := range es {
		switch {
		case e.Name == "":
			return nil, fmt.Errorf("%s: entry %d has no name", path, i)
		case seen[e.Name]:
			return nil, fmt.Errorf("%s: dataset %q is listed twice", path, e.Name)
		case e.Target == "":
			return nil, fmt.Errorf("%s: dataset %q has no target", path, e.Name)
		case !e.TrainTest() && !e.hasFile("data.csv"):
			return nil, fmt.Errorf("%s: dataset %q has neither train.csv and test.csv nor data.csv", path, e.Name)
		}
		seen[e.Name] = true
	}
	return &Manifest{Path: path, Entries: es}, nil
}

// Entry returns the dataset called name.
func (m *Manifest) Entry(name string) (Entry, error) {
	for _, e := range m.Entries {
		if e.Name == name {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("%s: no dataset %q; it lists %s", m.Path, name, strings.Join(m.Names(), ", "))
}

// Names lists the datasets in the manifest's order.
func (m *Manifest) Names() []string {
	var out []string
	for _, e := range m.Entries {
		out = append(out, e.Name)
	}
	return out
}

// Scored lists the datasets the benchmark can score: binary and
// regression tasks.
func (m *Manifest) Scored() []string {
	var out []string
	for _, e := range m.Entries {
		if k := e.Kind(); k == Binary || k == Regression {
			out = append(out, e.Name)
		}
	}
	return out
}
