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
	// Frozen keeps the embedding layer and the encoder fixed: they run in
	// evaluation mode (running batch-norm statistics, no dropout) and get
	// no gradients.
	Frozen bool

	feats, dEmb *tensor.Mat
	view        tensor.Mat // scratch for column views, so that steps do not allocate
	params      []*nn.Param
}

// NewFinetune puts a new head with out outputs on an embedding layer and
// featurizer, which fine-tuning changes unless frozen: they should be a
// copy (see [Config.BuildFeaturizer]), not the pretrained model's own.
func NewFinetune(embed *models.Embedding, encoder models.Backbone, head models.HeadConfig, out int, includeInput, frozen bool, seed uint64) (*Finetune, error) {
	f := &Finetune{Embed: embed, Encoder: encoder, IncludeInput: includeInput, Frozen: frozen}
	in := f.Encoder.OutDim()
	if includeInput {
		in += f.Embed.OutDim()
	}
	var err error
	f.Head, err = models.NewHead("head", in, out, head, rand.New(rand.NewPCG(seed, 0x4ead)))
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
// the featurizer's output, with the embedded input appended when
// IncludeInput.
func (f *Finetune) Features(cont *tensor.Mat, cat *tensor.IntMat) *tensor.Mat {
	return f.features(cont, cat, false)
}

func (f *Finetune) features(cont *tensor.Mat, cat *tensor.IntMat, body bool) *tensor.Mat {
	x := f.Embed.Forward(cont, cat, body)
	z := f.Encoder.Forward(x, body)
	if f.IncludeInput {
		h := z.Cols
		f.feats = tensor.Ensure(f.feats, z.Rows, h+x.Cols)
		f.view.SetColView(f.feats, 0, h).CopyFrom(z)
		f.view.SetColView(f.feats, h, h+x.Cols).CopyFrom(x)
		z = f.feats
	}
	return z
}

// Backward implements [models.Network].
func (f *Finetune) Backward(dy *tensor.Mat) {
	d := f.Head.Backward(dy)
	if f.Frozen {
		return
	}
	if !f.IncludeInput {
		f.Embed.Backward(f.Encoder.Backward(d))
		return
	}
	h := f.Encoder.OutDim()
	dx := f.Encoder.Backward(f.view.SetColView(d, 0, h))
	f.dEmb = tensor.Ensure(f.dEmb, dx.Rows, dx.Cols)
	f.dEmb.CopyFrom(dx)
	direct := f.view.SetColView(d, h, d.Cols)
	for i := range f.dEmb.Rows {
		tensor.Axpy(1, direct.Row(i), f.dEmb.Row(i))
	}
	f.Embed.Backward(f.dEmb)
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
