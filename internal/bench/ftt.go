package bench

import (
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/fttransformer"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/optim"
	"github.com/gotabular/gotabular/tensor"
)

// The shapes of the FT-Transformer reference (torch_ft_transformer.py):
// 15 tokens of width 192 per row (14 features and a CLS token), 3 pre-norm
// blocks of 8-head attention and a ReGLU feed-forward layer of 256 hidden
// units, 32,768 rows in memory.
const (
	FTTRows   = 32768
	FTTTokens = 15
	FTTDim    = 192
	FTTHeads  = 8
	FTTHidden = 256
	FTTBlocks = 3
)

// FTTWorkload is the reference's FT-Transformer-shaped network, built from
// the engine's layers as the reference builds it from PyTorch's: the
// tokens are N(0,1) data (the tokenizer is left out, as there), every
// block normalises its attention input (the reference's first block too),
// attention dropout 0.2, feed-forward dropout 0.1, no residual dropout;
// the head is LayerNorm, ReLU and Linear(192, 1) on the last token, the
// loss binary cross-entropy with logits, Adam with lr 1e-4.
type FTTWorkload struct {
	x, y   *tensor.Mat // (FTTRows·FTTTokens)×FTTDim tokens, FTTRows×1 targets
	net    *nn.Sequential
	params []*nn.Param
	opt    *optim.Adam
	grad   *tensor.Mat
	batch  [2]tensor.Mat
}

// NewFTTWorkload builds the data and the network from a seed.
func NewFTTWorkload(seed uint64) *FTTWorkload { return newFTTWorkload(seed, FTTRows) }

// newFTTWorkload holds rows rows in memory (FTTRows: 377 MB of tokens).
func newFTTWorkload(seed uint64, rows int) *FTTWorkload {
	rng := rand.New(rand.NewPCG(seed, 0xf77))
	w := &FTTWorkload{x: tensor.New(rows*FTTTokens, FTTDim), y: tensor.New(rows, 1)}
	for i := range w.x.Data {
		w.x.Data[i] = float32(rng.NormFloat64())
	}
	for i := range w.y.Data {
		if rng.Float64() < 0.25 {
			w.y.Data[i] = 1
		}
	}
	var layers []nn.Module
	for i := range FTTBlocks {
		name := "blocks." + string(rune('0'+i))
		attn := &nn.Residual{
			Norm: nn.NewLayerNorm(name+".n1", FTTDim),
			F:    nn.NewMultiHeadAttention(name+".attn", FTTDim, FTTHeads, FTTTokens, 0.2, rng),
		}
		ff := &nn.Residual{
			Norm: nn.NewLayerNorm(name+".n2", FTTDim),
			F: &nn.Sequential{Layers: []nn.Module{
				nn.NewLinear(name+".ff.0", FTTDim, 2*FTTHidden, rng), nn.NewReGLU(),
				nn.NewDropout(0.1, rng), nn.NewLinear(name+".ff.3", FTTHidden, FTTDim, rng),
			}},
		}
		layers = append(layers, attn, ff)
	}
	layers = append(layers, &nn.LastToken{Tokens: FTTTokens}, nn.NewLayerNorm("head.0", FTTDim), &nn.ReLU{}, nn.NewLinear("head.2", FTTDim, 1, rng))
	w.net = &nn.Sequential{Layers: layers}
	w.params = w.net.Params()
	w.opt = optim.NewAdam(w.params, 1e-4)
	return w
}

// Step runs training step i at batch size bs and returns the loss.
func (w *FTTWorkload) Step(i, bs int) float64 {
	j := (i % (w.y.Rows / bs)) * bs
	x := w.batch[0].SetRowView(w.x, j*FTTTokens, (j+bs)*FTTTokens)
	y := w.batch[1].SetRowView(w.y, j, j+bs)
	nn.ZeroGrad(w.params)
	out := w.net.Forward(x, true)
	w.grad = tensor.Ensure(w.grad, out.Rows, out.Cols)
	loss := nn.BCEWithLogits(out, y, nil, w.grad)
	w.net.Backward(w.grad)
	w.opt.Step()
	return loss
}

// Infer runs the network on the first bs rows without training.
func (w *FTTWorkload) Infer(bs int) *tensor.Mat {
	return w.net.Forward(w.batch[0].SetRowView(w.x, 0, bs*FTTTokens), false)
}

// AdultRows and AdultFeatures are the shape of the adult table: an epoch
// over all its rows at batch 256 is 128 steps, the last of 49 rows.
const (
	AdultRows     = 32561
	AdultFeatures = 14
)

// AdultWorkload is the default FT-Transformer of models/fttransformer
// (tokens of 32, 8 heads, 6 blocks, GEGLU, dropout 0.1) on adult-shaped
// data: 14 N(0,1) features, each tokenized by the backbone's own feature
// tokenizer, a Linear(32, 1) head, binary cross-entropy, Adam with lr
// 1e-3. It times the network's share of an epoch; the data pipeline, the
// categorical embeddings and the validation pass of a real fit are left
// out.
type AdultWorkload struct {
	x, y   *tensor.Mat
	net    *nn.Sequential
	params []*nn.Param
	opt    *optim.Adam
	grad   *tensor.Mat
	batch  [2]tensor.Mat
}

// NewAdultWorkload builds the data and the network from a seed.
func NewAdultWorkload(seed uint64) *AdultWorkload {
	rng := rand.New(rand.NewPCG(seed, 0xad17))
	w := &AdultWorkload{x: tensor.New(AdultRows, AdultFeatures), y: tensor.New(AdultRows, 1)}
	for i := range w.x.Data {
		w.x.Data[i] = float32(rng.NormFloat64())
	}
	for i := range w.y.Data {
		if rng.Float64() < 0.25 {
			w.y.Data[i] = 1
		}
	}
	bb, err := fttransformer.NewConfig().Build("backbone", models.FlatInput(AdultFeatures), rng)
	if err != nil {
		panic(err)
	}
	bb.(*fttransformer.Backbone).Tokenizer.SkipInputGrad = true
	w.net = &nn.Sequential{Layers: []nn.Module{bb, nn.NewLinear("head", bb.OutDim(), 1, rng)}}
	w.params = w.net.Params()
	w.opt = optim.NewAdam(w.params, 1e-3)
	return w
}

// AdultSteps is the number of steps of an epoch at batch 256.
const AdultSteps = (AdultRows + 255) / 256

// Step runs step i of the epochs at batch 256 and returns the loss.
func (w *AdultWorkload) Step(i int) float64 {
	j := (i % AdultSteps) * 256
	x := w.batch[0].SetRowView(w.x, j, min(j+256, AdultRows))
	y := w.batch[1].SetRowView(w.y, j, min(j+256, AdultRows))
	nn.ZeroGrad(w.params)
	out := w.net.Forward(x, true)
	w.grad = tensor.Ensure(w.grad, out.Rows, out.Cols)
	loss := nn.BCEWithLogits(out, y, nil, w.grad)
	w.net.Backward(w.grad)
	w.opt.Step()
	return loss
}
