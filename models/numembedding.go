package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gotabular/gotabular/nn"
)

// The kinds of numerical embedding, the values of NumEmbeddingConfig.Kind.
const (
	NumEmbeddingNone = "none" // the encoded value itself, as "" does
	NumEmbeddingPLR  = "plr"  // periodic → linear → ReLU
	NumEmbeddingPLE  = "ple"  // piecewise-linear encoding with quantile bins
)

// NumEmbeddings lists the accepted values of NumEmbeddingConfig.Kind.
var NumEmbeddings = []string{NumEmbeddingNone, NumEmbeddingPLR, NumEmbeddingPLE}

// The defaults of NumEmbeddingConfig, those of rtdl_num_embeddings.
const (
	DefaultPLRDim         = 24
	DefaultPLRFrequencies = 48
	DefaultPLRScale       = 0.01
	DefaultPLEBins        = 16
)

// Bounds that keep a damaged config from asking for an absurd network
// before its size is checked against the weights file.
const (
	maxNumEmbeddingDim = 1024
	maxPLRFrequencies  = 1024
	maxPLEBins         = 1024
)

// NumEmbeddingConfig says how each continuous feature is embedded before
// the backbone reads it (Gorishniy et al. 2022, "On Embeddings for
// Numerical Features in Tabular Deep Learning"): as the encoded value
// itself, one column (the default); with PLR, as d columns
// ReLU(Linear([cos(2π c x), sin(2π c x)])) with k trainable frequencies c;
// or with PLE, as its piecewise-linear encoding over quantile bins fitted
// on the pretraining rows, optionally followed by a Linear to d columns
// and a ReLU. Both give an MLP a learned, non-linear view of each value;
// the paper measures them as among the largest gains for MLPs on tables.
//
// A field the chosen kind does not use must be left zero.
type NumEmbeddingConfig struct {
	// Kind is "" or "none", "plr" or "ple".
	Kind string `json:"kind,omitempty" yaml:"kind,omitempty"`
	// Dim is d, the width of each feature's embedding. PLR: default 24.
	// PLE: 0 (the default) passes the T_j-wide encoding of feature j on
	// as it is, with no parameters; d > 0 adds a Linear(T_j→d) per
	// feature and a ReLU.
	Dim int `json:"dim,omitempty" yaml:"dim,omitempty"`
	// Frequencies is PLR's k, the number of frequencies per feature
	// (default 48).
	Frequencies int `json:"frequencies,omitempty" yaml:"frequencies,omitempty"`
	// FrequencyScale is PLR's σ: frequencies start as N(0, σ²) truncated
	// to ±3σ (default 0.01). The inputs are standardised or
	// quantile-normal, so a small σ starts near-linear; the paper tunes σ
	// from 0.01 to 100, and a large σ can hurt.
	FrequencyScale float64 `json:"frequency_scale,omitempty" yaml:"frequency_scale,omitempty"`
	// PerFeatureLinear gives PLR one Linear(2k→d) per feature, as in the
	// paper. The default shares one Linear among all features ("lite" in
	// rtdl_num_embeddings, whose README suggests it as the start, at a
	// "non-critical" loss of quality on some tasks): n times fewer
	// parameters in the Linear, which suits few labels.
	PerFeatureLinear bool `json:"per_feature_linear,omitempty" yaml:"per_feature_linear,omitempty"`
	// Bins is PLE's largest number of bins per feature (default 16,
	// fewer than the 48 of rtdl_num_embeddings' compute_bins, because
	// every bin adds weights that few labels must fit). The bin edges are
	// quantiles of the feature on the pretraining rows, fitted with the
	// preprocessing; a feature with ties or few distinct values gets
	// fewer bins (a 0/1 column one).
	Bins int `json:"bins,omitempty" yaml:"bins,omitempty"`
}

// Enabled reports whether continuous features are embedded.
func (c NumEmbeddingConfig) Enabled() bool { return c.Kind != "" && c.Kind != NumEmbeddingNone }

// WithDefaults returns c with the zero fields of its kind set to their
// defaults.
func (c NumEmbeddingConfig) WithDefaults() NumEmbeddingConfig {
	switch c.Kind {
	case NumEmbeddingPLR:
		if c.Dim == 0 {
			c.Dim = DefaultPLRDim
		}
		if c.Frequencies == 0 {
			c.Frequencies = DefaultPLRFrequencies
		}
		if c.FrequencyScale == 0 {
			c.FrequencyScale = DefaultPLRScale
		}
	case NumEmbeddingPLE:
		if c.Bins == 0 {
			c.Bins = DefaultPLEBins
		}
	}
	return c
}

// Validate reports the first field that cannot work, by its JSON name.
func (c NumEmbeddingConfig) Validate() error {
	switch c.Kind {
	case "", NumEmbeddingNone, NumEmbeddingPLR, NumEmbeddingPLE:
	default:
		return fmt.Errorf("num_embedding: kind %q: want one of %s", c.Kind, strings.Join(NumEmbeddings, ", "))
	}
	if c.Dim < 0 || c.Dim > maxNumEmbeddingDim {
		return fmt.Errorf("num_embedding: dim %d: want 0..%d", c.Dim, maxNumEmbeddingDim)
	}
	if c.Frequencies < 0 || c.Frequencies > maxPLRFrequencies {
		return fmt.Errorf("num_embedding: frequencies %d: want 0..%d", c.Frequencies, maxPLRFrequencies)
	}
	if c.FrequencyScale < 0 || math.IsNaN(c.FrequencyScale) || math.IsInf(c.FrequencyScale, 0) {
		return fmt.Errorf("num_embedding: frequency_scale %v: must be positive", c.FrequencyScale)
	}
	if c.Bins < 0 || c.Bins > maxPLEBins {
		return fmt.Errorf("num_embedding: bins %d: want 0..%d", c.Bins, maxPLEBins)
	}
	unused := func(field string, set bool) error {
		if !set {
			return nil
		}
		kind := c.Kind
		if kind == "" {
			kind = NumEmbeddingNone
		}
		return fmt.Errorf("num_embedding: %s is set, but kind %q does not use it", field, kind)
	}
	plr, ple := c.Kind == NumEmbeddingPLR, c.Kind == NumEmbeddingPLE
	for _, f := range []struct {
		field string
		set   bool
	}{
		{"dim", !plr && !ple && c.Dim != 0},
		{"frequencies", !plr && c.Frequencies != 0},
		{"frequency_scale", !plr && c.FrequencyScale != 0},
		{"per_feature_linear", !plr && c.PerFeatureLinear},
		{"bins", !ple && c.Bins != 0},
	} {
		if err := unused(f.field, f.set); err != nil {
			return err
		}
	}
	return nil
}

// validateSchema checks the bin edges PLE reads from s: every continuous
// feature has at least two, finite and increasing in float32 (the
// precision of the layer) by a width whose inverse is finite, and at most
// Bins+1. The preprocessing that fits them checks them too, but a model
// does not trust what comes from a file.
func (c NumEmbeddingConfig) validateSchema(s Schema) error {
	if c.Kind != NumEmbeddingPLE || len(s.Continuous) == 0 {
		return nil
	}
	c = c.WithDefaults()
	if len(s.BinEdges) != len(s.Continuous) {
		return fmt.Errorf("num_embedding: ple needs the bin edges of the %d continuous features, fitted with the preprocessing; there are %d", len(s.Continuous), len(s.BinEdges))
	}
	for j, e := range s.BinEdges {
		name := s.Continuous[j]
		if len(e) < 2 || len(e)-1 > c.Bins {
			return fmt.Errorf("num_embedding: ple: %q has %d bin edges; want 2..%d (bins %d)", name, len(e), c.Bins+1, c.Bins)
		}
		for k, v := range e {
			f := float32(v)
			if math.IsNaN(v) || math.IsInf(float64(f), 0) {
				return fmt.Errorf("num_embedding: ple: %q: bin edge %d is %v", name, k, v)
			}
			if k > 0 && !(float64(f)-float64(float32(e[k-1])) >= 0x1p-126) {
				return fmt.Errorf("num_embedding: ple: %q: bin edge %d (%v) does not exceed the one before (%v)", name, k, v, e[k-1])
			}
		}
	}
	return nil
}

// size returns the number of parameter values and the output width of
// the embedding of the continuous features of s. It never fails: edges
// validateSchema would refuse count for what they hold.
func (c NumEmbeddingConfig) size(s Schema) (params, width int) {
	n := len(s.Continuous)
	c = c.WithDefaults()
	switch {
	case n == 0:
		return 0, 0
	case c.Kind == NumEmbeddingPLR:
		return nn.PeriodicEmbeddingSize(n, c.Frequencies, c.Dim, c.PerFeatureLinear), n * c.Dim
	case c.Kind == NumEmbeddingPLE:
		bins := make([]int, n)
		for j := range bins {
			if j < len(s.BinEdges) {
				bins[j] = max(len(s.BinEdges[j])-1, 0)
			}
		}
		return nn.PiecewiseLinearEmbeddingSize(bins, c.Dim)
	}
	return 0, n
}

// build returns the layer that embeds the continuous features of s, or
// nil when they are fed as they are. c and s must have been validated.
func (c NumEmbeddingConfig) build(prefix string, s Schema, rng *rand.Rand) nn.Module {
	n := len(s.Continuous)
	if n == 0 {
		return nil
	}
	c = c.WithDefaults()
	switch c.Kind {
	case NumEmbeddingPLR:
		e := nn.NewPeriodicEmbedding(prefix+".plr", n, c.Frequencies, c.Dim, c.FrequencyScale, c.PerFeatureLinear, rng)
		e.SkipInputGrad = true // the input is data
		return e
	case NumEmbeddingPLE:
		e := nn.NewPiecewiseLinearEmbedding(prefix+".ple", s.BinEdges, c.Dim, rng)
		e.SkipInputGrad = true
		return e
	}
	return nil
}
