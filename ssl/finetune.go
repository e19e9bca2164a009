package ssl

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// Finetune is the supervised network built on a pretrained model: its
// embedding layer and featurizer, then a head. It holds only those parts;
// the decoder and the reconstruction heads are left behind.
type Finetune struct {
	Embed   *models.Embedding
	Encoder models.Backbone
	Head    *nn.Sequential
	// IncludeInput appends the embedded input to the encoder's features.
	IncludeInput bool
	// DeepFeatures gives the head the output of every stage of the
	// encoder (its hidden layers, concatenated), not only the last.
	DeepFeatures bool
	// Frozen keeps the embedding layer and the encoder fixed: they run in
	// evaluation mode (running batch-norm statistics, no dropout) and get
	// no gradients.
	Frozen bool

	// blocks are what the head reads, side by side: the encoder's output
	// (or its stages' with DeepFeatures), then the input if IncludeInput.
	stages []nn.Module
	widths []int
	width  int // of all the head reads

	feats, dEmb, dStage *tensor.Mat
	view                tensor.Mat // scratch for column views, so that steps do not allocate
	params              []*nn.Param
}

// FinetuneSpec says what head NewFinetune puts on a featurizer and what it
// reads.
type FinetuneSpec struct {
	Head    models.HeadConfig
	Outputs int
	// IncludeInput, DeepFeatures and Frozen set the fields of the same
	// names of [Finetune].
	IncludeInput, DeepFeatures, Frozen bool
	// Seed of the head's initialisation.
	Seed uint64
}

// NewFinetune puts a new head on an embedding layer and featurizer, which
// fine-tuning changes unless frozen: they should be a copy (see
// [Config.BuildFeaturizer]), not the pretrained model's own. DeepFeatures
// needs a [models.Staged] encoder.
func NewFinetune(embed *models.Embedding, encoder models.Backbone, spec FinetuneSpec) (*Finetune, error) {
	f := &Finetune{Embed: embed, Encoder: encoder, IncludeInput: spec.IncludeInput, DeepFeatures: spec.DeepFeatures, Frozen: spec.Frozen}
	in := encoder.OutDim()
	if spec.DeepFeatures {
		st, ok := encoder.(models.Staged)
		if !ok {
			return nil, fmt.Errorf("fine-tune: deep features need an encoder made of stages, and %T is not", encoder)
		}
		f.stages = st.Stages()
		in = 0
		x := tensor.New(1, embed.OutDim())
		for _, s := range f.stages {
			// A one-row pass in evaluation mode tells each stage's width
			// and changes nothing.
			x = s.Forward(x, false)
			f.widths = append(f.widths, x.Cols)
			in += x.Cols
		}
	}
	if spec.IncludeInput {
		in += embed.OutDim()
	}
	f.width = in
	var err error
	f.Head, err = models.NewHead("head", in, spec.Outputs, spec.Head, rand.New(rand.NewPCG(spec.Seed, 0x4ead)))
	if err != nil {
		return nil, fmt.Errorf("fine-tune head: %w", err)
	}
	f.params = append(append(f.Embed.Params(), f.Encoder.Params()...), f.Head.Params()...)
	return f, nil
}

// Forward implements [models.Network].
func (f *Finetune) Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool) *tensor.Mat {
	return f.Head.Forward(f.features(cont, cat, train && !f.Frozen), train)
}

// Features returns what the head reads for clean rows, in evaluation mode:
// the featurizer's output (every stage's with DeepFeatures), with the
// embedded input appended when IncludeInput.
func (f *Finetune) Features(cont *tensor.Mat, cat *tensor.IntMat) *tensor.Mat {
	return f.features(cont, cat, false)
}

func (f *Finetune) features(cont *tensor.Mat, cat *tensor.IntMat, body bool) *tensor.Mat {
	x := f.Embed.Forward(cont, cat, body)
	if !f.DeepFeatures {
		z := f.Encoder.Forward(x, body)
		if !f.IncludeInput {
			return z
		}
		f.feats = tensor.Ensure(f.feats, z.Rows, z.Cols+x.Cols)
		f.view.SetColView(f.feats, 0, z.Cols).CopyFrom(z)
		f.view.SetColView(f.feats, z.Cols, z.Cols+x.Cols).CopyFrom(x)
		return f.feats
	}
	f.feats = tensor.Ensure(f.feats, x.Rows, f.width)
	h, at := x, 0
	for i, s := range f.stages {
		h = s.Forward(h, body)
		f.view.SetColView(f.feats, at, at+f.widths[i]).CopyFrom(h)
		at += f.widths[i]
	}
	if f.IncludeInput {
		f.view.SetColView(f.feats, at, at+x.Cols).CopyFrom(x)
	}
	return f.feats
}

// Backward implements [models.Network].
func (f *Finetune) Backward(dy *tensor.Mat) {
	d := f.Head.Backward(dy)
	if f.Frozen {
		return
	}
	var dx *tensor.Mat
	at := 0
	if !f.DeepFeatures {
		at = f.Encoder.OutDim()
		if !f.IncludeInput {
			f.Embed.Backward(f.Encoder.Backward(d))
			return
		}
		dx = f.Encoder.Backward(f.view.SetColView(d, 0, at))
	} else {
		// Each stage's output reaches the head directly and through the
		// stages after it: its gradient is the sum of both.
		for _, w := range f.widths {
			at += w
		}
		end := at
		for i := len(f.stages) - 1; i >= 0; i-- {
			part := f.view.SetColView(d, end-f.widths[i], end)
			end -= f.widths[i]
			g := part
			if dx != nil {
				f.dStage = tensor.Ensure(f.dStage, dx.Rows, dx.Cols)
				f.dStage.CopyFrom(dx)
				addInto(f.dStage, part)
				g = f.dStage
			}
			dx = f.stages[i].Backward(g)
		}
	}
	if f.IncludeInput {
		f.dEmb = tensor.Ensure(f.dEmb, dx.Rows, dx.Cols)
		f.dEmb.CopyFrom(dx)
		addInto(f.dEmb, f.view.SetColView(d, at, d.Cols))
		dx = f.dEmb
	}
	f.Embed.Backward(dx)
}

// addInto adds src to dst, row by row (src may be a column view).
func addInto(dst, src *tensor.Mat) {
	for i := range dst.Rows {
		tensor.Axpy(1, src.Row(i), dst.Row(i))
	}
}

// Params implements [models.Network].
func (f *Finetune) Params() []*nn.Param { return f.params }

// Trainable implements [models.Network]: the head alone when frozen.
func (f *Finetune) Trainable() []*nn.Param {
	if f.Frozen {
		return nn.Trainable(f.Head.Params())
	}
	return nn.Trainable(f.params)
}
