package dae

import (
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
)

// Model is the built denoising autoencoder.
type Model struct {
	cfg     Config
	schema  models.Schema
	embed   *models.Embedding
	encoder models.Backbone
	decoder models.Backbone // nil: identity

	// Reconstruction heads read the decoder's output; a nil head has no
	// features of its type.
	contHead, catHead, binHead, maskHead *nn.Linear
	multi                                []catTarget // categoricals reconstructed with cross-entropy
	binary                               []int       // categoricals with two levels: binary cross-entropy
	noiseP                               []float64   // per raw feature: continuous first, then categorical
	wBin, wCat, wCont, wMask             float64

	params []*nn.Param

	// Per-batch buffers, sized on use.
	clean struct {
		cont *tensor.Mat
		cat  *tensor.IntMat
	}
	noisyCont                        *tensor.Mat
	noisyCat                         *tensor.IntMat
	mask                             *tensor.Mat // 1 where a feature's value was changed
	contOut, catOut, binOut, maskOut *tensor.Mat
	gCont, gCat, gBin, gMask, dh     *tensor.Mat
	binTarget, binWeight             *tensor.Mat
	labels                           []int32
	zv, gv                           tensor.Mat // scratch views, so that steps do not allocate
	parts                            []ssl.Value
	metrics                          []ssl.Value
}

type catTarget struct {
	feature, offset, card int
}

// Build implements [ssl.Config].
func (c Config) Build(s models.Schema) (ssl.Model, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := c.validateSchema(s); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0xdae))
	m := &Model{cfg: c, schema: s}
	var err error
	if m.embed, m.encoder, err = c.featurizer(s, rng); err != nil {
		return nil, err
	}
	h := m.encoder.OutDim()
	if c.DecoderConfig != nil {
		if m.decoder, err = c.DecoderConfig.Build("decoder", h, rng); err != nil {
			return nil, err
		}
		h = m.decoder.OutDim()
	}
	nCont := len(s.Continuous)
	if nCont > 0 {
		m.contHead = nn.NewLinear("reconstruction.continuous", h, nCont, rng)
	}
	width := 0
	for i, f := range s.Categorical {
		if f.Cardinality == 3 { // two known levels and the unknown code
			m.binary = append(m.binary, i)
			continue
		}
		m.multi = append(m.multi, catTarget{feature: i, offset: width, card: f.Cardinality})
		width += f.Cardinality
	}
	if width > 0 {
		m.catHead = nn.NewLinear("reconstruction.categorical", h, width, rng)
	}
	if len(m.binary) > 0 {
		m.binHead = nn.NewLinear("reconstruction.binary", h, len(m.binary), rng)
	}
	nf := s.NumFeatures()
	m.maskHead = nn.NewLinear("mask_reconstruction", h, nf, rng)

	m.noiseP = make([]float64, nf)
	for j := range nf {
		name := ""
		if j < nCont {
			name = s.Continuous[j]
		} else {
			name = s.Categorical[j-nCont].Name
		}
		p, ok := c.NoiseProbabilities[name]
		if !ok {
			p = c.DefaultNoiseProbability
		}
		m.noiseP[j] = p
	}
	if w := c.LossTypeWeights; w != nil {
		m.wBin, m.wCat, m.wCont = w[0], w[1], w[2]
	} else if nf > 0 {
		m.wBin = float64(len(m.binary)) / float64(nf)
		m.wCat = float64(len(m.multi)) / float64(nf)
		m.wCont = float64(nCont) / float64(nf)
	}
	m.wMask = c.MaskLossWeight

	m.params = append(m.params, m.embed.Params()...)
	m.params = append(m.params, m.encoder.Params()...)
	if m.decoder != nil {
		m.params = append(m.params, m.decoder.Params()...)
	}
	for _, l := range []*nn.Linear{m.contHead, m.catHead, m.binHead, m.maskHead} {
		if l != nil {
			m.params = append(m.params, l.Params()...)
		}
	}
	m.parts = make([]ssl.Value, 0, 4)
	m.metrics = make([]ssl.Value, 0, 3)
	return m, nil
}

// BuildFeaturizer implements [ssl.Config].
func (c Config) BuildFeaturizer(s models.Schema) (*models.Embedding, models.Backbone, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	return c.featurizer(s, rand.New(rand.NewPCG(c.Seed, 0xdae)))
}

func (c Config) featurizer(s models.Schema, rng *rand.Rand) (*models.Embedding, models.Backbone, error) {
	embed, err := models.NewEmbedding("embedding", s, c.Embedding(c.MaxOnehotCardinality), rng)
	if err != nil {
		return nil, nil, err
	}
	enc, err := c.EncoderConfig.Build("encoder", embed.OutDim(), rng)
	if err != nil {
		return nil, nil, err
	}
	return embed, enc, nil
}

// Size implements [ssl.Config].
func (c Config) Size(s models.Schema) ssl.Size {
	c = c.withDefaults()
	emb, in := c.Embedding(c.MaxOnehotCardinality).Size(s)
	enc, h := c.EncoderConfig.Size(in)
	z := ssl.Size{Featurizer: emb + enc, FeatureDim: h, InputDim: in}
	all := z.Featurizer
	if c.DecoderConfig != nil {
		var dec int
		dec, h = c.DecoderConfig.Size(h)
		all += dec
	}
	linear := func(out int) int { return h*out + out }
	if n := len(s.Continuous); n > 0 {
		all += linear(n)
	}
	width, bin := 0, 0
	for _, f := range s.Categorical {
		if f.Cardinality == 3 {
			bin++
		} else {
			width += f.Cardinality
		}
	}
	if width > 0 {
		all += linear(width)
	}
	if bin > 0 {
		all += linear(bin)
	}
	z.All = all + linear(s.NumFeatures())
	return z
}

// EmbeddingLayer implements [ssl.Model].
func (m *Model) EmbeddingLayer() *models.Embedding { return m.embed }

// Featurizer implements [ssl.Model].
func (m *Model) Featurizer() models.Backbone { return m.encoder }

// Params implements [ssl.Model].
func (m *Model) Params() []*nn.Param { return m.params }

// Featurize implements [ssl.Model].
func (m *Model) Featurize(cont *tensor.Mat, cat *tensor.IntMat) *tensor.Mat {
	return m.encoder.Forward(m.embed.Forward(cont, cat, false), false)
}

// corrupt fills the noisy copies of the batch and the mask. A feature of a
// row is corrupted with its probability; under Swap it takes the value of
// the same feature in a uniformly drawn row of the batch, which samples the
// feature's empirical distribution. The mask marks values that actually
// changed: a swap that draws an equal value is not a corruption the model
// could detect.
func (m *Model) corrupt(cont *tensor.Mat, cat *tensor.IntMat, rng *rand.Rand) {
	rows, nCont, nCat := cont.Rows, cont.Cols, cat.Cols
	m.noisyCont = tensor.Ensure(m.noisyCont, rows, nCont)
	m.noisyCont.CopyFrom(cont)
	if m.noisyCat == nil {
		m.noisyCat = &tensor.IntMat{}
	}
	m.noisyCat.Resize(rows, nCat)
	copy(m.noisyCat.Data, cat.Data[:rows*nCat])
	m.mask = tensor.Ensure(m.mask, rows, nCont+nCat)
	m.mask.Zero()
	swap := m.cfg.NoiseStrategy == Swap
	for i := range rows {
		mr := m.mask.Row(i)
		nc := m.noisyCont.Row(i)
		for j := range nCont {
			if rng.Float64() >= m.noiseP[j] {
				continue
			}
			v := float32(0)
			if swap {
				v = cont.At(rng.IntN(rows), j)
			}
			if v != nc[j] {
				nc[j] = v
				mr[j] = 1
			}
		}
		nk := m.noisyCat.Row(i)
		for j := range nCat {
			if rng.Float64() >= m.noiseP[nCont+j] {
				continue
			}
			v := int32(0)
			if swap {
				v = cat.At(rng.IntN(rows), j)
			}
			if v != nk[j] {
				nk[j] = v
				mr[nCont+j] = 1
			}
		}
	}
}

// Forward implements [ssl.Model].
func (m *Model) Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool, noise *rand.Rand) {
	m.clean.cont, m.clean.cat = cont, cat
	m.corrupt(cont, cat, noise)
	z := m.encoder.Forward(m.embed.Forward(m.noisyCont, m.noisyCat, train), train)
	if m.decoder != nil {
		z = m.decoder.Forward(z, train)
	}
	if m.contHead != nil {
		m.contOut = m.contHead.Forward(z, train)
	}
	if m.catHead != nil {
		m.catOut = m.catHead.Forward(z, train)
	}
	if m.binHead != nil {
		m.binOut = m.binHead.Forward(z, train)
	}
	m.maskOut = m.maskHead.Forward(z, train)
}

// Loss implements [ssl.Model]: the weighted sum of the mean reconstruction
// loss of each feature type and of the mask loss.
func (m *Model) Loss(grad bool) float64 {
	rows := m.clean.cont.Rows
	m.parts = m.parts[:0]
	g := func(buf **tensor.Mat, out *tensor.Mat) *tensor.Mat {
		if !grad {
			return nil
		}
		*buf = tensor.Ensure(*buf, out.Rows, out.Cols)
		return *buf
	}
	if m.contHead != nil {
		gc := g(&m.gCont, m.contOut)
		m.parts = append(m.parts, ssl.Value{Name: "continuous_loss", Value: m.wCont * nn.MSE(m.contOut, m.clean.cont, gc)})
		scale(gc, m.wCont)
	}
	if m.catHead != nil {
		gc := g(&m.gCat, m.catOut)
		if cap(m.labels) < rows {
			m.labels = make([]int32, rows)
		}
		labels := m.labels[:rows]
		var sum float64
		for _, t := range m.multi {
			for i := range rows {
				labels[i] = m.clean.cat.At(i, t.feature)
			}
			var gv *tensor.Mat
			if gc != nil {
				gv = m.gv.SetColView(gc, t.offset, t.offset+t.card)
			}
			sum += nn.CrossEntropy(m.zv.SetColView(m.catOut, t.offset, t.offset+t.card), labels, gv)
		}
		n := float64(len(m.multi))
		m.parts = append(m.parts, ssl.Value{Name: "categorical_loss", Value: m.wCat * sum / n})
		scale(gc, m.wCat/n)
	}
	if m.binHead != nil {
		gb := g(&m.gBin, m.binOut)
		m.binTarget = tensor.Ensure(m.binTarget, rows, len(m.binary))
		m.binWeight = tensor.Ensure(m.binWeight, rows, len(m.binary))
		for i := range rows {
			t, w := m.binTarget.Row(i), m.binWeight.Row(i)
			for k, f := range m.binary {
				c := m.clean.cat.At(i, f)
				t[k] = float32(max(c-1, 0)) // level 2 is the positive one
				w[k] = float32(min(c, 1))   // unknown or missing: left out
			}
		}
		m.parts = append(m.parts, ssl.Value{Name: "binary_loss", Value: m.wBin * nn.BCEWithLogits(m.binOut, m.binTarget, m.binWeight, gb)})
		scale(gb, m.wBin)
	}
	gm := g(&m.gMask, m.maskOut)
	m.parts = append(m.parts, ssl.Value{Name: "mask_loss", Value: m.wMask * nn.BCEWithLogits(m.maskOut, m.mask, nil, gm)})
	scale(gm, m.wMask)
	total := 0.0
	for _, p := range m.parts {
		total += p.Value
	}
	return total
}

// LossParts implements [ssl.Model].
func (m *Model) LossParts() []ssl.Value { return m.parts }

// Backward implements [ssl.Model].
func (m *Model) Backward() {
	rows := m.maskOut.Rows
	h := m.maskHead.In()
	m.dh = tensor.Ensure(m.dh, rows, h)
	m.dh.CopyFrom(m.maskHead.Backward(m.gMask))
	for _, p := range []struct {
		l *nn.Linear
		g *tensor.Mat
	}{{m.contHead, m.gCont}, {m.catHead, m.gCat}, {m.binHead, m.gBin}} {
		if p.l != nil {
			add(m.dh, p.l.Backward(p.g))
		}
	}
	d := m.dh
	if m.decoder != nil {
		d = m.decoder.Backward(d)
	}
	m.embed.Backward(m.encoder.Backward(d))
}

// Metrics implements [ssl.Model]: the share of mask bits predicted right,
// the share of categorical values reconstructed right, and the RMSE of the
// standardised continuous values.
func (m *Model) Metrics() []ssl.Value {
	rows := m.maskOut.Rows
	right, n := 0, 0
	for i := range rows {
		o, t := m.maskOut.Row(i), m.mask.Row(i)
		for j, v := range o {
			if (v > 0) == (t[j] > 0) {
				right++
			}
			n++
		}
	}
	m.metrics = append(m.metrics[:0], ssl.Value{Name: "mask_accuracy", Value: ratio(right, n), HigherIsBetter: true})
	right, n = 0, 0
	for i := range rows {
		for _, t := range m.multi {
			z := m.catOut.Row(i)[t.offset : t.offset+t.card]
			best := 0
			for k, v := range z {
				if v > z[best] {
					best = k
				}
			}
			if int32(best) == m.clean.cat.At(i, t.feature) {
				right++
			}
			n++
		}
		for k, f := range m.binary {
			c := m.clean.cat.At(i, f)
			if c == 0 {
				continue
			}
			if (m.binOut.At(i, k) > 0) == (c == 2) {
				right++
			}
			n++
		}
	}
	if n > 0 {
		m.metrics = append(m.metrics, ssl.Value{Name: "categorical_accuracy", Value: ratio(right, n), HigherIsBetter: true})
	}
	if m.contHead != nil {
		m.metrics = append(m.metrics, ssl.Value{Name: "continuous_rmse", Value: math.Sqrt(nn.MSE(m.contOut, m.clean.cont, nil))})
	}
	return m.metrics
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func scale(m *tensor.Mat, s float64) {
	if m == nil || s == 1 {
		return
	}
	for i := range m.Rows {
		tensor.Scale(float32(s), m.Row(i))
	}
}

func add(dst, src *tensor.Mat) {
	for i := range dst.Rows {
		tensor.Axpy(1, src.Row(i), dst.Row(i))
	}
}
