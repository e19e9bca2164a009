package pretext

import (
	"fmt"
	"math"

	"github.com/gotabular/gotabular/tensor"
)

// normEps bounds the norms that rows are divided by, so that a zero row
// does not divide by zero (PyTorch's F.normalize does the same with 1e-12;
// float32 needs a larger bound for the gradient 1/ε to stay finite).
const normEps = 1e-6

// InfoNCE is the contrastive loss of SCARF. Its input z holds 2B rows: the
// embeddings of B anchors, then those of their B positives (row i of each
// half comes from the same table row). With the cosine similarities
// s_ik = âᵢ·p̂ₖ of anchor i and positive k, and the temperature τ, the loss
// of anchor i is the cross-entropy of picking its own positive among all
// the batch's positives,
//
//	ℓᵢ = −log( exp(s_ii/τ) / Σₖ exp(s_ik/τ) ),
//
// averaged over the anchors. That is the one-directional form of the SCARF
// paper, whose anchors are the clean rows and whose candidates are the
// corrupted views. With Symmetric set the loss is the mean of that and of
// its mirror image, in which each positive picks its anchor among all
// anchors (CLIP's form); the gradient reaches both halves either way.
//
// Loss and Backward are the forward and backward pass; the buffers are
// sized on the first batch and reused.
type InfoNCE struct {
	Temperature float64
	Symmetric   bool

	b       int
	n       *tensor.Mat // z with its rows normalised
	inv     []float32   // 1 / max(‖z_r‖, ε) per row
	clamped []bool      // ‖z_r‖ < ε
	s       *tensor.Mat // B×B: s_ik / τ
	ds      *tensor.Mat // B×B: dL/d(s_ik/τ)
	dn, dz  *tensor.Mat
	right   int
	a, p    tensor.Mat // views of the halves of n and dn
	da, dp  tensor.Mat
	colLSE  []float64
	colMax  []float64
	hasGrad bool
}

// Loss returns the mean loss of z (2B×d: anchors, then positives). With
// grad set it prepares the gradient that Backward returns.
func (l *InfoNCE) Loss(z *tensor.Mat, grad bool) float64 {
	if z.Rows%2 != 0 {
		panic(fmt.Sprintf("pretext: InfoNCE of %d rows; want anchors and positives, 2B rows", z.Rows))
	}
	b := z.Rows / 2
	l.b, l.hasGrad, l.right = b, grad, 0
	if b == 0 {
		return 0
	}
	// Normalise the rows.
	l.n = tensor.Ensure(l.n, z.Rows, z.Cols)
	if cap(l.inv) < z.Rows {
		l.inv = make([]float32, z.Rows)
	}
	l.inv = l.inv[:z.Rows]
	if cap(l.clamped) < z.Rows {
		l.clamped = make([]bool, z.Rows)
	}
	l.clamped = l.clamped[:z.Rows]
	for r := range z.Rows {
		var ss float64
		for _, v := range z.Row(r) {
			ss += float64(v) * float64(v)
		}
		norm := math.Sqrt(ss)
		l.clamped[r] = norm < normEps
		inv := float32(1 / max(norm, normEps))
		l.inv[r] = inv
		nr := l.n.Row(r)
		for j, v := range z.Row(r) {
			nr[j] = v * inv
		}
	}
	// Similarities over the temperature, in one product.
	l.a.SetRowView(l.n, 0, b)
	l.p.SetRowView(l.n, b, 2*b)
	l.s = tensor.Ensure(l.s, b, b)
	tensor.Gemm(false, true, float32(1/l.Temperature), &l.a, &l.p, 0, l.s)
	if grad {
		l.ds = tensor.Ensure(l.ds, b, b)
	}
	w := 1.0 / float64(b) // each direction's weight per row
	if l.Symmetric {
		w /= 2
	}
	// Anchors pick positives: softmax over each row.
	var loss float64
	for i := range b {
		row := l.s.Row(i)
		m := math.Inf(-1)
		for _, v := range row {
			m = max(m, float64(v))
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(sum)
		loss += w * (lse - float64(row[i]))
		if unique(row, i) {
			l.right++
		}
		if grad {
			g := l.ds.Row(i)
			for k, v := range row {
				g[k] = float32(w * math.Exp(float64(v)-lse))
			}
			g[i] -= float32(w)
		}
	}
	if !l.Symmetric {
		return loss
	}
	// Positives pick anchors: softmax over each column.
	if cap(l.colLSE) < b {
		l.colLSE, l.colMax = make([]float64, b), make([]float64, b)
	}
	lse, mx := l.colLSE[:b], l.colMax[:b]
	for k := range b {
		mx[k] = math.Inf(-1)
		lse[k] = 0
	}
	for i := range b {
		for k, v := range l.s.Row(i) {
			mx[k] = max(mx[k], float64(v))
		}
	}
	for i := range b {
		for k, v := range l.s.Row(i) {
			lse[k] += math.Exp(float64(v) - mx[k])
		}
	}
	for k := range b {
		lse[k] = mx[k] + math.Log(lse[k])
		loss += w * (lse[k] - float64(l.s.At(k, k)))
	}
	if grad {
		for i := range b {
			g := l.ds.Row(i)
			for k, v := range l.s.Row(i) {
				g[k] += float32(w * math.Exp(float64(v)-lse[k]))
			}
			g[i] -= float32(w)
		}
	}
	return loss
}

// unique reports whether row[i] is larger than every other value of row.
func unique(row []float32, i int) bool {
	for k, v := range row {
		if k != i && v >= row[i] {
			return false
		}
	}
	return true
}

// Accuracy is the share of anchors of the last Loss whose own positive is
// strictly the most similar of the batch's positives. Collapsed
// embeddings, all alike, score 0.
func (l *InfoNCE) Accuracy() float64 {
	if l.b == 0 {
		return 0
	}
	return float64(l.right) / float64(l.b)
}

// Backward returns the gradient of the last Loss(true) with respect to z.
// Through s_ik = âᵢ·p̂ₖ/τ the normalised halves get dÂ = dS·P̂/τ and
// dP̂ = dSᵀ·Â/τ, and through x̂ = x/‖x‖ a row gets
// dx = (dx̂ − x̂(x̂·dx̂))/‖x‖ (dx̂/ε where the norm was clamped to ε).
func (l *InfoNCE) Backward() *tensor.Mat {
	if !l.hasGrad {
		panic("pretext: InfoNCE.Backward without Loss(true)")
	}
	b := l.b
	if b == 0 {
		l.dz = tensor.Ensure(l.dz, 0, 0)
		return l.dz
	}
	d := l.n.Cols
	l.dn = tensor.Ensure(l.dn, 2*b, d)
	l.dz = tensor.Ensure(l.dz, 2*b, d)
	l.da.SetRowView(l.dn, 0, b)
	l.dp.SetRowView(l.dn, b, 2*b)
	t := float32(1 / l.Temperature)
	tensor.Gemm(false, false, t, l.ds, &l.p, 0, &l.da)
	tensor.Gemm(true, false, t, l.ds, &l.a, 0, &l.dp)
	for r := range 2 * b {
		nr, gr, out := l.n.Row(r), l.dn.Row(r), l.dz.Row(r)
		inv := l.inv[r]
		if l.clamped[r] {
			for j, g := range gr {
				out[j] = g * inv
			}
			continue
		}
		var dot float64
		for j, v := range nr {
			dot += float64(v) * float64(gr[j])
		}
		for j, v := range nr {
			out[j] = inv * (gr[j] - v*float32(dot))
		}
	}
	return l.dz
}
