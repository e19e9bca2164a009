package pretext

import (
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
)

// Body is the part of every method's model that fine-tuning keeps: the
// embedding layer and the encoder. A model embeds it for the
// [ssl.Model] methods it answers.
type Body struct {
	Embed   models.Embedder
	Encoder models.Backbone
}

// EmbeddingLayer implements [ssl.Model].
func (b *Body) EmbeddingLayer() models.Embedder { return b.Embed }

// Featurizer implements [ssl.Model].
func (b *Body) Featurizer() models.Backbone { return b.Encoder }

// Featurize implements [ssl.Model].
func (b *Body) Featurize(cont *tensor.Mat, cat *tensor.IntMat) *tensor.Mat {
	return b.Encoder.Forward(b.Embed.Forward(cont, cat, false), false)
}

// DenoiserConfig says how to build a [Denoiser].
type DenoiserConfig struct {
	Common ssl.SSLModelConfig
	// Stream is the PCG stream of the initialisation, with Common.Seed:
	// each method has its own, so that the same seed gives different
	// methods independent weights.
	Stream uint64
	// Probs is the chance that each feature of a row is corrupted.
	Probs []float64
	// Zero replaces corrupted values with means and the unknown category
	// instead of draws from the marginals.
	Zero bool
	// Weights weigh the reconstruction and mask losses.
	Weights Weights
}

// Denoiser is the model of the denoising objectives: corrupt the batch,
// embed and encode it, decode it when a decoder is configured, and
// reconstruct the clean row and the corruption mask. The DAE and VIME
// differ only in how they choose what to corrupt and how they weigh the
// losses, which DenoiserConfig says.
type Denoiser struct {
	Body
	decoder models.Backbone // nil: identity
	corrupt Corrupter
	probs   []float64
	recon   *Reconstruction
	params  []*nn.Param

	clean struct {
		cont *tensor.Mat
		cat  *tensor.IntMat
	}
}

// NewDenoiser builds the model for schema s; c.Common must be valid and
// Probs hold a probability per feature of s.
func NewDenoiser(s models.Schema, c DenoiserConfig) (*Denoiser, error) {
	rng := rand.New(rand.NewPCG(c.Common.Seed, c.Stream))
	d := &Denoiser{corrupt: Corrupter{Zero: c.Zero}, probs: c.Probs}
	var err error
	if d.Embed, d.Encoder, err = c.Common.NewFeaturizer(s, rng); err != nil {
		return nil, err
	}
	h := d.Encoder.OutDim()
	if c.Common.DecoderConfig != nil {
		if d.decoder, err = c.Common.DecoderConfig.Build("decoder", models.FlatInput(h), rng); err != nil {
			return nil, err
		}
		h = d.decoder.OutDim()
	}
	d.recon = NewReconstruction(h, s, c.Weights, rng)
	d.params = append(d.Embed.Params(), d.Encoder.Params()...)
	if d.decoder != nil {
		d.params = append(d.params, d.decoder.Params()...)
	}
	d.params = append(d.params, d.recon.Params()...)
	return d, nil
}

// DenoiserSize is the [ssl.Size] of the model NewDenoiser builds.
func DenoiserSize(s models.Schema, common ssl.SSLModelConfig) ssl.Size {
	z := common.FeaturizerSize(s)
	h := z.FeatureDim
	if common.DecoderConfig != nil {
		var dec int
		dec, h = common.DecoderConfig.Size(models.FlatInput(h))
		z.All += dec
	}
	z.All += ReconstructionSize(h, s)
	return z
}

// Corrupter returns the corrupter, whose buffers hold the last Forward's
// corrupted batch and mask.
func (d *Denoiser) Corrupter() *Corrupter { return &d.corrupt }

// Weights returns the weights of the losses.
func (d *Denoiser) Weights() Weights { return d.recon.w }

// Params implements [ssl.Model].
func (d *Denoiser) Params() []*nn.Param { return d.params }

// Forward implements [ssl.Model].
func (d *Denoiser) Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool, noise *rand.Rand) {
	d.clean.cont, d.clean.cat = cont, cat
	d.corrupt.Each(cont, cat, d.probs, noise)
	z := d.Encoder.Forward(d.Embed.Forward(d.corrupt.Cont, d.corrupt.Cat, train), train)
	if d.decoder != nil {
		z = d.decoder.Forward(z, train)
	}
	d.recon.Forward(z, train)
}

// Loss implements [ssl.Model].
func (d *Denoiser) Loss(grad bool) float64 {
	return d.recon.Loss(d.clean.cont, d.clean.cat, d.corrupt.Mask, grad)
}

// LossParts implements [ssl.Model].
func (d *Denoiser) LossParts() []ssl.Value { return d.recon.Parts() }

// Backward implements [ssl.Model].
func (d *Denoiser) Backward() {
	g := d.recon.Backward()
	if d.decoder != nil {
		g = d.decoder.Backward(g)
	}
	d.Embed.Backward(d.Encoder.Backward(g))
}

// Metrics implements [ssl.Model].
func (d *Denoiser) Metrics() []ssl.Value {
	return d.recon.Metrics(d.clean.cont, d.clean.cat, d.corrupt.Mask)
}
