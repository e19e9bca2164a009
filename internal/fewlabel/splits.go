package fewlabel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gotabular/gotabular/data"
)

// Splits fixes the rows of one dataset: which are test rows and, for each
// seed and number of labels, which training rows are labelled. Row ids are
// 0-based data rows of the source file, the header excluded.
type Splits struct {
	Dataset        string   `json:"dataset"`
	Task           string   `json:"task"`
	Target         string   `json:"target"`
	Source         string   `json:"source"`
	RowIDs         string   `json:"row_ids,omitempty"`
	Split          string   `json:"split,omitempty"`
	DroppedColumns []string `json:"dropped_columns"`
	TestRowIDs     []int    `json:"test_row_ids"`
	// Labelled[seed][labels] holds the labelled rows.
	Labelled map[string]map[string]Labelled `json:"labelled"`

	path string // the file it was read from, for errors
}

// Labelled is one labelled subset: 80% of its rows for fine-tuning, 20%
// for validation (early stopping and any choice a method makes).
type Labelled struct {
	Train []int `json:"ft_train_row_ids"`
	Valid []int `json:"ft_val_row_ids"`
}

// Subset returns the labelled rows of a seed and label count.
func (s *Splits) Subset(seed, labels int) (Labelled, error) {
	l, ok := s.Labelled[strconv.Itoa(seed)][strconv.Itoa(labels)]
	if !ok {
		return Labelled{}, fmt.Errorf("splits of %s have no labelled rows for seed %d and %d labels", s.Dataset, seed, labels)
	}
	return l, nil
}

// ReadSplits reads a splits file.
func ReadSplits(path string) (*Splits, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSplits(b, path)
}

// ParseSplits decodes a splits file read from path; [Splits.Check]
// verifies it against the dataset.
func ParseSplits(b []byte, path string) (*Splits, error) {
	var s Splits
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.path = path
	return &s, nil
}

// Check verifies the splits against the dataset's rows: trainRows and
// testRows are the numbers of rows of train.csv and test.csv, or both that
// of data.csv. Every id must be in range, no row may be listed twice, and
// labelled rows must be training rows.
func (s *Splits) Check(e Entry, trainRows, testRows int) error {
	path := s.path
	if path == "" {
		path = "splits of " + e.Name
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	if s.Dataset != e.Name {
		return fail("splits of dataset %q, not %q", s.Dataset, e.Name)
	}
	if len(s.TestRowIDs) == 0 {
		return fail("no test_row_ids")
	}
	isTest := map[int]bool{}
	for _, r := range s.TestRowIDs {
		if r < 0 || r >= testRows || isTest[r] {
			return fail("test row id %d is out of range or repeated (%d rows)", r, testRows)
		}
		isTest[r] = true
	}
	if e.TrainTest() {
		isTest = nil // test ids are rows of test.csv, labelled ids of train.csv
	}
	for seed, byN := range s.Labelled {
		for n, l := range byN {
			seen := map[int]bool{}
			for _, r := range slices.Concat(l.Train, l.Valid) {
				if r < 0 || r >= trainRows || seen[r] || isTest[r] {
					return fail("labelled[%s][%s]: row id %d is out of range, repeated or a test row", seed, n, r)
				}
				seen[r] = true
			}
			if len(l.Train) == 0 {
				return fail("labelled[%s][%s] has no fine-tuning rows", seed, n)
			}
		}
	}
	return nil
}

// Protocol constants of the reference splits.
const (
	testShare  = 0.2
	validShare = 0.2
	splitSeed  = 12345
)

// Draw makes splits for a dataset that has none, with the reference rules:
// for a single data.csv, 20% of its rows are test rows (stratified for a
// binary target); for each seed and label count, that many training rows
// are labelled (stratified), 80% of them for fine-tuning and 20% for
// validation (stratified). The draws are Go's, not scikit-learn's, so the
// rows differ from the reference splits; the rules are the same.
func Draw(e Entry, all *data.Table, trainTest bool, testRows int, seeds, labels []int) (*Splits, error) {
	target, err := all.Col(e.Target)
	if err != nil {
		return nil, err
	}
	strat := e.Kind() == Binary
	s := &Splits{
		Dataset: e.Name, Task: e.Kind(), Target: e.Target, DroppedColumns: []string{},
		RowIDs:   "0-based data rows of the source file, header excluded",
		Labelled: map[string]map[string]Labelled{},
	}
	trainIDs := make([]int, all.Rows)
	for i := range trainIDs {
		trainIDs[i] = i
	}
	if trainTest {
		s.Source, s.Split = "train.csv + test.csv", "test.csv as given"
		s.TestRowIDs = make([]int, testRows)
		for i := range s.TestRowIDs {
			s.TestRowIDs[i] = i
		}
	} else {
		s.Source = "data.csv"
		s.Split = fmt.Sprintf("data.csv split 80/20 (stratified for a binary target), seed %d", splitSeed)
		rng := rand.New(rand.NewPCG(splitSeed, 0))
		var test []int
		if trainIDs, test, err = split(target, trainIDs, testShare, strat, rng); err != nil {
			return nil, err
		}
		s.TestRowIDs = test
	}
	for _, seed := range seeds {
		byN := map[string]Labelled{}
		for _, n := range labels {
			if n < 5 || n > len(trainIDs)/2 {
				return nil, fmt.Errorf("%s: cannot draw %d labelled rows from %d training rows", e.Name, n, len(trainIDs))
			}
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(n)))
			_, lab, err := split(target, trainIDs, float64(n)/float64(len(trainIDs)), strat, rng)
			if err != nil {
				return nil, err
			}
			ft, va, err := split(target, lab, validShare, strat, rng)
			if err != nil {
				return nil, err
			}
			byN[strconv.Itoa(n)] = Labelled{Train: ft, Valid: va}
		}
		s.Labelled[strconv.Itoa(seed)] = byN
	}
	return s, nil
}

// split divides ids into a remainder and a share of them, stratified by the
// target's class when strat; both parts are in increasing order.
func split(target *data.Column, ids []int, share float64, strat bool, rng *rand.Rand) (rest, part []int, err error) {
	var a, b []int
	if strat {
		labels := make([]int32, len(ids))
		for i, r := range ids {
			if target.Missing(r) {
				return nil, nil, fmt.Errorf("row %d has no target value", r+1)
			}
			if target.Kind == data.Categorical {
				labels[i] = target.Codes[r]
			} else {
				labels[i] = int32(target.Floats[r])
			}
		}
		a, b = data.StratifiedSplit(labels, share, rng)
	} else {
		a, b = data.Split(len(ids), share, rng)
	}
	for _, i := range a {
		rest = append(rest, ids[i])
	}
	for _, i := range b {
		part = append(part, ids[i])
	}
	return rest, part, nil
}

// WriteSplits writes s as dir/DATASET.json. An existing file is not
// replaced: splits are the identity of a benchmark's rows.
func WriteSplits(dir string, s *Splits) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, s.Dataset+".json")
	if _, err := os.Stat(path); err == nil {
		return "", fmt.Errorf("%s exists; give it with -splits to reuse it, or remove it to draw new splits", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}
