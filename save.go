package gotabular

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/internal/safetensors"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/train"
)

// The files of a saved model directory.
const (
	ModelFile   = "model.json"
	WeightsFile = "weights.safetensors"
)

const (
	formatName    = "gotabular-model"
	formatVersion = 1
)

// modelFile is the content of model.json.
type modelFile struct {
	Format          string                 `json:"format"`
	Version         int                    `json:"version"`
	Kind            Kind                   `json:"kind"`
	DataConfig      config.DataConfig      `json:"data_config"`
	OptimizerConfig config.OptimizerConfig `json:"optimizer_config"`
	TrainerConfig   config.TrainerConfig   `json:"trainer_config"`
	Supervised      *supervisedWire        `json:"supervised_model,omitempty"`
	SSL             json.RawMessage        `json:"ssl_model,omitempty"`
	Finetune        *finetuneSpec          `json:"finetune,omitempty"`
	Preprocessing   *data.Preprocessor     `json:"preprocessing"`
	Target          *data.Target           `json:"target,omitempty"`
	History         *train.History         `json:"history,omitempty"`
	// Members is the number of networks of an ensemble (absent for one).
	Members         int                `json:"members,omitempty"`
	MemberHistories []*train.History   `json:"member_histories,omitempty"`
	CrossValidation map[string]float64 `json:"cross_validation,omitempty"`
	Validation      *Diagnostics       `json:"validation,omitempty"`
	Distillation    *Distillation      `json:"distillation,omitempty"`
	// WeightsSHA256 is the hex SHA-256 of weights.safetensors, checked by
	// Load: a flipped bit in a weight loads as a valid float and changes
	// predictions without a sign. Models saved before it existed have
	// none and load unchecked.
	WeightsSHA256 string `json:"weights_sha256,omitempty"`
}

// supervisedWire is models.Config with its backbone stored by name.
type supervisedWire struct {
	Task         string                 `json:"task"`
	Backbone     json.RawMessage        `json:"backbone"`
	Head         models.HeadConfig      `json:"head"`
	Embedding    models.EmbeddingConfig `json:"embedding"`
	LearningRate float64                `json:"learning_rate"`
	Seed         uint64                 `json:"seed"`
	DeepFeatures bool                   `json:"deep_features,omitempty"`
	IncludeInput bool                   `json:"include_input,omitempty"`
}

// Save writes the model to the directory dir: model.json (configs,
// preprocessing, target encoding, history) and weights.safetensors. The
// files are written to a new directory beside dir, which then replaces dir
// in one rename, so a failed save leaves an earlier save intact. An
// existing dir that is not a saved model is left alone, with an error.
func (m *TabularModel) Save(dir string) error {
	js, weights, err := m.marshal()
	if err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	return writeDir(dir, map[string][]byte{ModelFile: js, WeightsFile: weights})
}

// marshal returns the contents of the two files of a saved model.
func (m *TabularModel) marshal() (js, weights []byte, err error) {
	if m.kind == Untrained {
		return nil, nil, fmt.Errorf("the model is untrained: %w", ErrKind)
	}
	mf := modelFile{
		Format: formatName, Version: formatVersion, Kind: m.kind,
		DataConfig: m.DataConfig, OptimizerConfig: m.OptimizerConfig, TrainerConfig: m.TrainerConfig,
		Finetune: m.ft, Preprocessing: m.prep, Target: m.target, History: m.History,
		MemberHistories: m.MemberHistories, CrossValidation: m.CrossValidation, Validation: m.Validation,
		Distillation: m.Distillation,
	}
	if m.kind != Pretrained {
		if n := len(m.members()); n > 1 {
			mf.Members = n
		}
	}
	if mc, ok := m.supervisedConfig(); ok {
		raw, err := models.MarshalBackbone(mc.Backbone)
		if err != nil {
			return nil, nil, err
		}
		mf.Supervised = &supervisedWire{mc.Task, raw, mc.Head, mc.Embedding, mc.LearningRate, mc.Seed, mc.DeepFeatures, mc.IncludeInput}
	} else if sc, ok := m.sslConfig(); ok {
		raw, err := ssl.MarshalConfig(sc)
		if err != nil {
			return nil, nil, err
		}
		mf.SSL = raw
	}
	var ts []safetensors.Tensor
	for _, p := range m.params() {
		if err := checkFinite(p.Name, p.Value.Data); err != nil {
			return nil, nil, fmt.Errorf("%w; the model is not saved", err)
		}
		ts = append(ts, safetensors.Tensor{Name: p.Name, Shape: []int{p.Value.Rows, p.Value.Cols}, Data: p.Value.Clone().Data})
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, ts, map[string]string{"format": formatName}); err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	mf.WeightsSHA256 = hex.EncodeToString(sum[:])
	js, err = json.MarshalIndent(mf, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	return append(js, '\n'), buf.Bytes(), nil
}

// Clone returns an independent copy of a trained model: the same configs,
// preprocessing and weights, with buffers of its own, so that the copy and
// the original can predict at the same time from different goroutines. It
// goes through the saved form, so a clone is exactly what Save and Load
// would give, and shares no memory with m.
func (m *TabularModel) Clone() (*TabularModel, error) {
	js, weights, err := m.marshal()
	if err != nil {
		return nil, fmt.Errorf("clone: %w", err)
	}
	c, err := decode("", js, weights)
	if err != nil {
		return nil, fmt.Errorf("clone: %w", err)
	}
	c.Progress, c.Watcher, c.Warnings = m.Progress, m.Watcher, m.Warnings
	return c, nil
}

// checkFinite refuses a tensor holding NaN or an infinity, naming the
// tensor and the index: such a weight makes every output NaN.
func checkFinite(name string, vals []float32) error {
	for i, v := range vals {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("tensor %q holds %v at index %d", name, v, i)
		}
	}
	return nil
}

func (m *TabularModel) params() []*nn.Param {
	if m.kind == Pretrained {
		return m.ssl.Params()
	}
	return m.net.Params()
}

// writeDir atomically replaces dir with a directory holding files. It
// first removes what an earlier save of dir left behind when it was killed
// between writing its temporary directory and renaming it (.NAME.tmp-*,
// .NAME.tmp-*.old beside dir): each holds a whole model's weights, and
// nothing else would ever remove them. Two saves to one directory at the
// same time are therefore not supported.
func writeDir(dir string, files map[string][]byte) (err error) {
	dir = filepath.Clean(dir)
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("save %s: exists and is not a directory", dir)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("save %s: %w", dir, err)
		}
		if _, err := os.Stat(filepath.Join(dir, ModelFile)); len(entries) > 0 && err != nil {
			return fmt.Errorf("save %s: the directory exists and holds no saved model; refusing to replace it", dir)
		}
	}
	parent, base := filepath.Split(dir)
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	removeStale(parent, "."+base+".tmp-")
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	for name, b := range files {
		if err := writeFileSync(filepath.Join(tmp, name), b); err != nil {
			return fmt.Errorf("save %s: %w", dir, err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("save %s: %w", dir, err)
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("save %s: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir) // put the earlier save back
		}
		return fmt.Errorf("save %s: %w", dir, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// removeStale removes the directories in parent whose names start with
// prefix, the leftovers of killed saves. A failure to remove one is not
// the new save's failure, so it is ignored.
func removeStale(parent, prefix string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Load reads a model saved by Save. Every length and shape is checked
// before use; a damaged directory gives an error naming the file and the
// field at fault.
//
// Both files are read through one open handle on dir, so that a model
// saved over dir while it is being loaded (Save replaces the directory in
// one rename) gives either the old model or an error, never the configs of
// one model with the weights of another: a server reloading a model that is
// being replaced depends on it.
func Load(dir string) (*TabularModel, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer root.Close()
	js, err := readModelFile(root, dir, ModelFile)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	weights, err := readModelFile(root, dir, WeightsFile)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return decode(dir, js, weights)
}

// readModelFile reads the file name of the model directory dir, opened as
// root. A file the root refuses for another reason than its absence (a
// symbolic link out of the directory) is read by its path instead, as it
// always was.
func readModelFile(root *os.Root, dir, name string) ([]byte, error) {
	b, err := root.ReadFile(name)
	if err != nil {
		var pe *fs.PathError
		if errors.Is(err, fs.ErrNotExist) && errors.As(err, &pe) {
			// The root's paths are relative to it: name the file as the
			// user knows it.
			return nil, &fs.PathError{Op: "open", Path: filepath.Join(dir, name), Err: pe.Err}
		}
		return os.ReadFile(filepath.Join(dir, name))
	}
	return b, nil
}

// decode rebuilds a model from the two files' contents.
func decode(dir string, js, weights []byte) (*TabularModel, error) {
	jsPath := filepath.Join(dir, ModelFile)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("load %s: "+format, append([]any{jsPath}, args...)...)
	}
	var mf modelFile
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&mf); err != nil {
		return nil, bad("%v", err)
	}
	if mf.Format != formatName {
		return nil, bad("format %q, want %q", mf.Format, formatName)
	}
	if mf.Version != formatVersion {
		return nil, bad("version %d; this build reads version %d", mf.Version, formatVersion)
	}
	if mf.Preprocessing == nil {
		return nil, bad("preprocessing is missing")
	}
	if err := mf.Preprocessing.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	if err := mf.DataConfig.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	if err := validateOptimizer(mf.OptimizerConfig); err != nil {
		return nil, bad("%v", err)
	}
	if err := mf.TrainerConfig.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	m := &TabularModel{
		DataConfig: mf.DataConfig.WithDefaults(), OptimizerConfig: mf.OptimizerConfig.WithDefaults(),
		TrainerConfig: mf.TrainerConfig.WithDefaults(), History: mf.History, MemberHistories: mf.MemberHistories,
		CrossValidation: mf.CrossValidation, Validation: mf.Validation, Distillation: mf.Distillation,
		kind: mf.Kind, prep: mf.Preprocessing, target: mf.Target, ft: mf.Finetune,
	}
	members := max(mf.Members, 1)
	switch {
	case mf.Members < 0 || mf.Members == 1:
		return nil, bad("members %d: want 2 or more for an ensemble, or none", mf.Members)
	case mf.Members > 1 && mf.Kind == Pretrained:
		return nil, bad("members %d in a pretrained model, which is one network", mf.Members)
	}
	if !m.TrainerConfig.Quiet {
		m.Progress = os.Stderr
	}
	m.schema = schemaOf(m.prep)
	if err := mf.Validation.validate(mf.Kind, m.schema); err != nil {
		return nil, bad("%v", err)
	}
	if mf.Kind == Supervised || mf.Kind == Finetuned {
		if m.target == nil {
			return nil, bad("target is missing for a %s model", mf.Kind)
		}
		if err := m.target.Validate(); err != nil {
			return nil, bad("%v", err)
		}
	}
	// The configs decide the size of the network. Check it against the
	// weights file before allocating anything, so that a damaged
	// model.json cannot ask for gigabytes.
	limit := len(weights) / 4
	tooBig := func(n int) error {
		return bad("the configs describe %d parameter values, but %s holds at most %d", n, WeightsFile, limit)
	}
	switch mf.Kind {
	case Supervised:
		if mf.Supervised == nil {
			return nil, bad("supervised_model is missing")
		}
		bb, err := models.UnmarshalBackbone(mf.Supervised.Backbone)
		if err != nil {
			return nil, bad("supervised_model: %v", err)
		}
		w := mf.Supervised
		mc := models.Config{Task: w.Task, Backbone: bb, Head: w.Head, Embedding: w.Embedding, LearningRate: w.LearningRate, Seed: w.Seed,
			DeepFeatures: w.DeepFeatures, IncludeInput: w.IncludeInput}
		if err := mc.Validate(); err != nil {
			return nil, bad("supervised_model: %v", err)
		}
		if mc.Task != m.target.Task {
			return nil, bad("supervised_model task %q but target task %q", mc.Task, m.target.Task)
		}
		m.ModelConfig = mc
		if n, err := mc.WithDefaults().Size(m.schema, outputs(m.target)); err != nil || n > limit/members {
			if err != nil {
				return nil, bad("supervised_model: %v", err)
			}
			return nil, tooBig(n * members)
		}
		nets := make([]models.Network, members)
		for i := range nets {
			if nets[i], err = models.NewSupervised(mc, m.schema, outputs(m.target)); err != nil {
				return nil, bad("%v", err)
			}
		}
		m.net = joinMembers(nets, m.target)
	case Pretrained, Finetuned:
		if len(mf.SSL) == 0 {
			return nil, bad("ssl_model is missing")
		}
		sc, err := ssl.UnmarshalConfig(mf.SSL)
		if err != nil {
			return nil, bad("ssl_model: %v", err)
		}
		m.ModelConfig = sc
		size := sc.Size(m.schema)
		if mf.Kind == Pretrained && size.All > limit {
			return nil, tooBig(size.All)
		}
		if mf.Kind == Pretrained {
			if m.ssl, err = sc.Build(m.schema); err != nil {
				return nil, bad("%v", err)
			}
			break
		}
		if m.ft == nil {
			return nil, bad("finetune is missing for a fine-tuned model")
		}
		if m.ft.Task != m.target.Task {
			return nil, bad("finetune task %q but target task %q", m.ft.Task, m.target.Task)
		}
		in, err := models.HeadInputWidth(sc.Common().EncoderConfig, size.Input, m.ft.DeepFeatures, m.ft.IncludeInput)
		if err != nil {
			return nil, bad("finetune: %v", err)
		}
		head, err := models.HeadSize(in, outputs(m.target), m.ft.Head)
		if err != nil {
			return nil, bad("finetune head: %v", err)
		}
		if size.Featurizer+head > limit/members {
			return nil, tooBig((size.Featurizer + head) * members)
		}
		nets := make([]models.Network, members)
		for i := range nets {
			if nets[i], err = m.buildFinetune(sc, nil, 1); err != nil {
				return nil, bad("%v", err)
			}
		}
		m.net = joinMembers(nets, m.target)
	default:
		return nil, bad("kind %q: want %q, %q or %q", mf.Kind, Supervised, Pretrained, Finetuned)
	}
	if mf.WeightsSHA256 != "" {
		sum := sha256.Sum256(weights)
		if got := hex.EncodeToString(sum[:]); got != mf.WeightsSHA256 {
			return nil, fmt.Errorf("load %s: the file is damaged or was changed: its SHA-256 is %s, and %s records %s", filepath.Join(dir, WeightsFile), got, ModelFile, mf.WeightsSHA256)
		}
	}
	if err := loadWeights(m.params(), weights); err != nil {
		return nil, fmt.Errorf("load %s: %w", filepath.Join(dir, WeightsFile), err)
	}
	return m, nil
}

// loadWeights assigns the tensors of a safetensors file to params, which
// must match them one to one in name and shape.
func loadWeights(params []*nn.Param, b []byte) error {
	ts, _, err := safetensors.Read(b)
	if err != nil {
		return err
	}
	byName := make(map[string]safetensors.Tensor, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	for _, p := range params {
		t, ok := byName[p.Name]
		if !ok {
			return fmt.Errorf("tensor %q is missing", p.Name)
		}
		if len(t.Shape) != 2 || t.Shape[0] != p.Value.Rows || t.Shape[1] != p.Value.Cols {
			return fmt.Errorf("tensor %q has shape %v, the model needs [%d %d]", p.Name, t.Shape, p.Value.Rows, p.Value.Cols)
		}
		if err := checkFinite(p.Name, t.Data); err != nil {
			return err
		}
		copy(p.Value.Data, t.Data)
		delete(byName, p.Name)
	}
	for name := range byName {
		return fmt.Errorf("tensor %q is not part of this model", name)
	}
	return nil
}
