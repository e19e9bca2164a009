package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
)

// numEmbeddingHelp is the paragraph of the help of pretrain and fit about
// the encoding of continuous features.
const numEmbeddingHelp = `By default continuous values are mapped by rank onto a normal
distribution (-continuous-transform quantile_normal: skewed columns
and outliers stop dominating; standard subtracts the mean
and divides by the standard deviation instead, and quantile_uniform,
yeo-johnson, box-cox and rank-gauss are the other choices), and each
value is turned into a learned vector by periodic embeddings
(-num-embedding plr, σ 0.1), which published benchmarks (Gorishniy et al.
2022) count among the largest gains for MLPs on tables; ple embeds it by
quantile bins, none passes it on as it is. The transform and ple's bins
are fitted on the -data rows and kept with the model.`

// numEmbeddingFlags choose how continuous features are encoded and
// embedded (pretrain and fit).
type numEmbeddingFlags struct {
	transform, kind        string
	dim, frequencies, bins int
	scale                  float64
	perFeature             bool
}

func (f *numEmbeddingFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.transform, "continuous-transform", "", "`transform` of the continuous columns, fitted on the -data rows: quantile_normal (map each value through its column's distribution onto a standard normal, so that a skewed column or an outlier is evenly spread; a missing value becomes the median; the default); standard (subtract the mean, divide by the standard deviation); quantile_uniform (the same onto a uniform distribution, scaled to variance 1); yeo-johnson or box-cox (a power transform with λ fitted per column by maximum likelihood, then standardised; box-cox needs values > 0); rank-gauss (the Porto Seguro DAE's: erf⁻¹ of the rank scaled to (-1, 1), a normal of variance ½)")
	fs.StringVar(&f.kind, "num-embedding", "", "`kind` of embedding of each continuous feature: none (the encoded value itself); plr (the cosine and sine of the value times each of 48 trainable frequencies, then a Linear to 24 columns and a ReLU: a smooth learned function of the value; the default); or ple (the value's position among up to 16 quantile bins fitted on the -data rows: 1 for the bins below it, its fraction of its own bin, 0 above)")
	fs.IntVar(&f.dim, "num-embedding-dim", 0, "`columns` per continuous feature: for plr the Linear's width (default 24); for ple 0 (the default) passes the bin encoding on as it is, and a width adds a Linear and ReLU per feature")
	fs.IntVar(&f.frequencies, "plr-frequencies", 0, "`number` of plr's frequencies per feature (default 48)")
	fs.Float64Var(&f.scale, "plr-scale", 0, "`σ` of plr's initial frequencies, drawn from N(0, σ²) (default 0.1; 0.01 for a config file's num_embedding that leaves it out: a small σ starts nearly linear, larger starts wigglier, and too large hurts)")
	fs.BoolVar(&f.perFeature, "plr-per-feature", false, "give each feature its own plr Linear, as in the paper, instead of one shared by all (the default: far fewer parameters, which suits few labels)")
	fs.IntVar(&f.bins, "ple-bins", 0, "largest `number` of ple bins per feature (default 16); a column with ties or few distinct values gets fewer")
}

// apply copies the flags given on the command line into the data config
// and the numerical-embedding config. A -num-embedding other than the
// config file's starts from that kind's defaults rather than keep
// settings made for another kind. The configs take a zero as "the
// default", so a zero given for a count, which means something else, is
// refused.
func (f *numEmbeddingFlags) apply(set map[string]bool, dc *config.DataConfig, num *models.NumEmbeddingConfig) error {
	if set["continuous-transform"] {
		if !slices.Contains(config.ContinuousTransforms, f.transform) {
			return fmt.Errorf("-continuous-transform %q: want one of %s", f.transform, strings.Join(config.ContinuousTransforms, ", "))
		}
		dc.ContinuousTransform = f.transform
	}
	if set["num-embedding"] {
		if !slices.Contains(models.NumEmbeddings, f.kind) {
			return fmt.Errorf("-num-embedding %q: want %s", f.kind, strings.Join(models.NumEmbeddings, ", "))
		}
		if f.kind != num.Kind {
			*num = models.NumEmbeddingConfig{Kind: f.kind}
		}
	}
	kind := num.Kind
	if kind == "" {
		kind = models.NumEmbeddingNone
	}
	for _, c := range []struct {
		flag string
		only string // the kind the flag applies to; "" for plr and ple
	}{
		{"num-embedding-dim", ""}, {"plr-frequencies", models.NumEmbeddingPLR}, {"plr-scale", models.NumEmbeddingPLR},
		{"plr-per-feature", models.NumEmbeddingPLR}, {"ple-bins", models.NumEmbeddingPLE},
	} {
		if !set[c.flag] {
			continue
		}
		if c.only == "" && kind == models.NumEmbeddingNone {
			return fmt.Errorf("-%s applies to -num-embedding plr or ple, and the embedding is %s", c.flag, kind)
		}
		if c.only != "" && kind != c.only {
			return fmt.Errorf("-%s applies to -num-embedding %s, and the embedding is %s", c.flag, c.only, kind)
		}
	}
	switch {
	case set["num-embedding-dim"] && (f.dim < 0 || f.dim == 0 && kind == models.NumEmbeddingPLR):
		return fmt.Errorf("-num-embedding-dim %d: must be ≥ 1 for plr, ≥ 0 for ple", f.dim)
	case set["plr-frequencies"] && f.frequencies < 1:
		return fmt.Errorf("-plr-frequencies %d: must be ≥ 1", f.frequencies)
	case set["plr-scale"] && !(f.scale > 0):
		return fmt.Errorf("-plr-scale %v: must be positive", f.scale)
	case set["ple-bins"] && f.bins < 1:
		return fmt.Errorf("-ple-bins %d: must be ≥ 1", f.bins)
	}
	if set["num-embedding-dim"] {
		num.Dim = f.dim
	}
	if set["plr-frequencies"] {
		num.Frequencies = f.frequencies
	}
	if set["plr-scale"] {
		num.FrequencyScale = f.scale
	}
	if set["plr-per-feature"] {
		num.PerFeatureLinear = f.perFeature
	}
	if set["ple-bins"] {
		num.Bins = f.bins
	}
	return num.Validate()
}
