package gotabular

import (
	"context"
	"maps"

	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/train"
)

// PretrainStream is [TabularModel.Pretrain] on rows read from files it
// never holds whole: spec names them as [data.Read] takes them (a file, a
// directory, a glob or a list; CSV, gzip-compressed or not, or Parquet).
// A first pass over the files infers the columns' kinds and fits the
// preprocessing from bounded statistics; each epoch then reads the files
// again and trains on batches drawn through a shuffle buffer. See
// [data.Stream] for what is exact (categories, kinds), what is estimated
// (quantiles and bin edges, from a sample of each column when the column
// has more values than the sample holds) and how validation rows are held
// out.
//
// The model's configs apply as in Pretrain: the data config's column
// lists force the kinds of the columns they name, its validation split is
// the share of rows held out (when validation is nil), and the trainer's
// seed fixes the split, the samples and the shuffling, so that two runs
// give the same weights. opt supplies the reading options, the excluded
// columns and the sizes of the buffers; its ValidationShare and Seed are
// replaced by the configs'. validation, if not nil, is the validation
// data instead of held-out rows.
func (m *TabularModel) PretrainStream(ctx context.Context, spec string, validation *data.Table, opt data.StreamOptions) error {
	// Checked again once the stream is open; refusing now saves a pass
	// over the files.
	if _, err := m.canPretrain("PretrainStream"); err != nil {
		return err
	}
	kinds := maps.Clone(opt.Read.Kinds)
	if kinds == nil {
		kinds = map[string]data.Kind{}
	}
	for _, n := range m.DataConfig.CategoricalCols {
		kinds[n] = data.Categorical
	}
	for _, n := range m.DataConfig.ContinuousCols {
		kinds[n] = data.Continuous
	}
	opt.Read.Kinds = kinds
	opt.Seed = m.TrainerConfig.Seed
	opt.ValidationShare = 0
	if split := m.DataConfig.Split(); validation == nil && split > 0 {
		opt.ValidationShare = split
	}
	src, err := data.OpenStream(spec, opt)
	if err != nil {
		return err
	}
	for _, w := range src.Schema().Warnings {
		m.warn(w)
	}
	p, err := m.preparePretrainWith("PretrainStream", src.Schema(), src.Fit)
	if err != nil {
		return err
	}
	var va *data.Dataset
	if validation != nil {
		va, err = p.prep.Transform(validation)
	} else {
		va, err = src.Validation(p.prep)
	}
	if err != nil {
		return err
	}
	sample := va
	if sample == nil {
		if sample, err = src.Sample(p.prep); err != nil {
			return err
		}
	}
	opt2, err := m.optimizer(nn.Trainable(p.model.Params()), p.lr)
	if err != nil {
		return err
	}
	cfg, err := m.trainConfig(m.TrainerConfig, "pretrain")
	if err != nil {
		return err
	}
	batches, err := src.Batches(p.prep, cfg.BatchSize)
	if err != nil {
		return err
	}
	defer batches.Close()
	h, err := train.RunBatches(ctx, &sslTask{m: p.model, sample: sample}, opt2, batches, va, cfg)
	m.History = h
	if err != nil {
		if k, ierr := m.interrupted(ctx, err, 0, h); k > 0 {
			m.kind, m.prep, m.schema, m.ssl = Pretrained, p.prep, p.schema, p.model
			return ierr
		}
		return err
	}
	m.kind, m.prep, m.schema, m.ssl = Pretrained, p.prep, p.schema, p.model
	return nil
}
