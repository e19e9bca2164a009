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
	Embed   models.Embedder
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

	in     *models.HeadInput
	params []*nn.Param
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
func NewFinetune(embed models.Embedder, encoder models.Backbone, spec FinetuneSpec) (*Finetune, error) {
	in, err := models.NewHeadInput(encoder, embed.OutDim(), spec.DeepFeatures, spec.IncludeInput)
	if err != nil {
		return nil, fmt.Errorf("fine-tune: %w", err)
	}
	f := &Finetune{Embed: embed, Encoder: encoder, IncludeInput: spec.IncludeInput, DeepFeatures: spec.DeepFeatures, Frozen: spec.Frozen, in: in}
	f.Head, err = models.NewHead("head", in.Width(), spec.Outputs, spec.Head, rand.New(rand.NewPCG(spec.Seed, 0x4ead)))
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
	return f.in.Forward(f.Embed.Forward(cont, cat, body), body)
}

// Backward implements [models.Network].
func (f *Finetune) Backward(dy *tensor.Mat) {
	d := f.Head.Backward(dy)
	if f.Frozen {
		return
	}
	f.Embed.Backward(f.in.Backward(d))
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
