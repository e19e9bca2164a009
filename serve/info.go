package serve

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
)

// ModelInfo is the answer of GET /v1/model: what a client needs to send
// rows and read the answers, and how the model was trained.
type ModelInfo struct {
	Kind gotabular.Kind `json:"kind"`
	// Task is classification, regression, or features for a pretrained
	// model, whose predictions are its learned features.
	Task    string   `json:"task"`
	Target  string   `json:"target,omitempty"`
	Classes []string `json:"classes,omitempty"`
	// Dir is the directory the model was loaded from ("" for a model
	// given in memory), and LoadedAt when (UTC).
	Dir      string    `json:"dir,omitempty"`
	LoadedAt time.Time `json:"loaded_at"`
	// Columns are the columns a row may hold.
	Columns []ColumnInfo `json:"columns"`
	Limits  Limits       `json:"limits"`

	DataConfig config.DataConfig `json:"data_config"`
	// ModelConfigType is the Go type of the model config (models.Config
	// for a supervised model, dae.Config for a denoising autoencoder),
	// and ModelConfig its JSON form.
	ModelConfigType string                 `json:"model_config_type"`
	ModelConfig     json.RawMessage        `json:"model_config"`
	OptimizerConfig config.OptimizerConfig `json:"optimizer_config"`
	TrainerConfig   config.TrainerConfig   `json:"trainer_config"`

	Training *TrainingSummary `json:"training,omitempty"`
	// CrossValidation are the out-of-fold loss and metrics of a
	// cross-fitted ensemble on its labelled rows.
	CrossValidation map[string]float64 `json:"cross_validation,omitempty"`
}

// ColumnInfo describes one input column.
type ColumnInfo struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // continuous, categorical or date
	// Layout is a date column's layout in Go's notation; empty for RFC
	// 3339 or 2006-01-02, with or without a time.
	Layout string `json:"layout,omitempty"`
	// Levels are the categories seen in training; others are read as
	// unknown.
	Levels []string `json:"levels,omitempty"`
}

// Limits are the server's limits on a request.
type Limits struct {
	MaxBodyBytes int64 `json:"max_body_bytes"`
	MaxRows      int   `json:"max_rows"`
}

// TrainingSummary is the end of the last training run.
type TrainingSummary struct {
	Epochs    int    `json:"epochs"`
	BestEpoch int    `json:"best_epoch"`
	Monitor   string `json:"monitor"`
	Stopped   string `json:"stopped"`
	// TrainLoss and Valid are the figures of the best epoch.
	TrainLoss float64            `json:"train_loss"`
	Valid     map[string]float64 `json:"valid,omitempty"`
	Seconds   float64            `json:"seconds"` // of every epoch together
	// Members is the number of networks of an ensemble, whose first
	// member's run this is.
	Members int `json:"members,omitempty"`
}

func describe(m *gotabular.TabularModel, dir string, loaded time.Time, opt Options) ([]byte, error) {
	info := ModelInfo{
		Kind: m.Kind(), Task: "features", Dir: dir, LoadedAt: loaded,
		Limits:     Limits{MaxBodyBytes: opt.MaxBodyBytes, MaxRows: opt.MaxRows},
		DataConfig: m.DataConfig, ModelConfigType: fmt.Sprintf("%T", m.ModelConfig),
		OptimizerConfig: m.OptimizerConfig, TrainerConfig: m.TrainerConfig,
		CrossValidation: finite(m.CrossValidation),
	}
	mc, err := encodeJSON(m.ModelConfig, false)
	if err != nil {
		return nil, fmt.Errorf("the model config: %w", err)
	}
	info.ModelConfig = mc
	if t := m.Target(); t != nil && m.Kind() != gotabular.Pretrained {
		info.Task, info.Target, info.Classes = t.Task, t.Name, t.Classes
	}
	p := m.Preprocessor()
	// The columns a request gives: not the features derived from them.
	for _, c := range p.Continuous {
		if c.Source == "" {
			info.Columns = append(info.Columns, ColumnInfo{Name: c.Name, Kind: "continuous"})
		}
	}
	for _, c := range p.Categorical {
		if c.Source == "" {
			info.Columns = append(info.Columns, ColumnInfo{Name: c.Name, Kind: "categorical", Levels: c.Levels})
		}
	}
	for _, d := range p.Dates {
		info.Columns = append(info.Columns, ColumnInfo{Name: d.Name, Kind: "date", Layout: d.Layout})
	}
	if h := m.History; h != nil && len(h.Epochs) > 0 {
		s := &TrainingSummary{Epochs: len(h.Epochs), BestEpoch: h.BestEpoch, Monitor: h.Monitor, Stopped: h.Stopped}
		best := h.Epochs[len(h.Epochs)-1]
		if h.BestEpoch >= 1 && h.BestEpoch <= len(h.Epochs) {
			best = h.Epochs[h.BestEpoch-1]
		}
		s.TrainLoss, s.Valid = best.TrainLoss, finite(best.Valid)
		if math.IsNaN(s.TrainLoss) || math.IsInf(s.TrainLoss, 0) {
			s.TrainLoss = 0
		}
		for _, e := range h.Epochs {
			s.Seconds += e.Seconds
		}
		if len(m.MemberHistories) > 0 {
			s.Members = len(m.MemberHistories) + 1
		}
		info.Training = s
	}
	return encodeJSON(info, true)
}

// finite returns the figures that JSON can carry.
func finite(figs map[string]float64) map[string]float64 {
	if figs == nil {
		return nil
	}
	out := make(map[string]float64, len(figs))
	for k, v := range figs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	return out
}
