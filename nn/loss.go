package nn

import (
	"fmt"
	"math"

	"github.com/gotabular/gotabular/tensor"
)

// The losses return the mean loss of a batch and, when grad is not nil,
// write the gradient of that mean with respect to their input into grad
// (same shape as the input). Sums are taken in float64.

// MSE is the mean over all elements of (pred − target)².
func MSE(pred, target, grad *tensor.Mat) float64 {
	checkShape("MSE", pred, target)
	n := float64(pred.Rows * pred.Cols)
	if n == 0 {
		return 0
	}
	var s float64
	scale := float32(2 / n)
	for i := range pred.Rows {
		p, t := pred.Row(i), target.Row(i)
		var g []float32
		if grad != nil {
			g = grad.Row(i)
		}
		for j, v := range p {
			d := v - t[j]
			s += float64(d) * float64(d)
			if g != nil {
				g[j] = scale * d
			}
		}
	}
	return s / n
}

// CrossEntropy is the mean over rows of −log softmax(logits)[label].
func CrossEntropy(logits *tensor.Mat, labels []int32, grad *tensor.Mat) float64 {
	if len(labels) != logits.Rows {
		panic(fmt.Sprintf("nn: CrossEntropy: %d labels for %d rows", len(labels), logits.Rows))
	}
	if logits.Rows == 0 {
		return 0
	}
	var s float64
	inv := 1 / float64(logits.Rows)
	for i := range logits.Rows {
		z := logits.Row(i)
		y := int(labels[i])
		if y < 0 || y >= len(z) {
			panic(fmt.Sprintf("nn: CrossEntropy: label %d of row %d outside [0,%d)", y, i, len(z)))
		}
		m := float64(z[0])
		for _, v := range z[1:] {
			m = max(m, float64(v))
		}
		var sum float64
		for _, v := range z {
			sum += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(sum)
		s += lse - float64(z[y])
		if grad != nil {
			g := grad.Row(i)
			for j, v := range z {
				g[j] = float32(math.Exp(float64(v)-lse) * inv)
			}
			g[y] -= float32(inv)
		}
	}
	return s * inv
}

// SoftCrossEntropy is the mean over rows of −Σ_j p_j·log softmax(logits)_j
// for target distributions p (rows of probs, each summing to 1): the loss
// of a student learning a teacher's probabilities, whose gradient
// softmax(logits) − p is that of CrossEntropy with the label spread out.
func SoftCrossEntropy(logits, probs, grad *tensor.Mat) float64 {
	checkShape("SoftCrossEntropy", logits, probs)
	if logits.Rows == 0 {
		return 0
	}
	var s float64
	inv := 1 / float64(logits.Rows)
	for i := range logits.Rows {
		z, p := logits.Row(i), probs.Row(i)
		m := float64(z[0])
		for _, v := range z[1:] {
			m = max(m, float64(v))
		}
		var sum float64
		for _, v := range z {
			sum += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(sum)
		for j, v := range z {
			s += float64(p[j]) * (lse - float64(v))
		}
		if grad != nil {
			g := grad.Row(i)
			for j, v := range z {
				g[j] = float32((math.Exp(float64(v)-lse) - float64(p[j])) * inv)
			}
		}
	}
	return s * inv
}

// BCEWithLogits is the binary cross-entropy of sigmoid(logits) against
// targets in [0, 1], computed from the logits for stability. With a non-nil
// weight (same shape) it is Σ w·loss / Σ w, so a zero weight leaves an
// element out (a missing value in a reconstruction target, say).
func BCEWithLogits(logits, target, weight, grad *tensor.Mat) float64 {
	checkShape("BCEWithLogits", logits, target)
	if weight != nil {
		checkShape("BCEWithLogits weight", logits, weight)
	}
	var s, wsum float64
	for i := range logits.Rows {
		z, t := logits.Row(i), target.Row(i)
		for j, v := range z {
			w := 1.0
			if weight != nil {
				w = float64(weight.At(i, j))
			}
			x := float64(v)
			// log(1+e^-|x|) + max(x,0) − x·t
			s += w * (math.Log1p(math.Exp(-math.Abs(x))) + max(x, 0) - x*float64(t[j]))
			wsum += w
		}
	}
	if wsum == 0 {
		if grad != nil {
			grad.Zero()
		}
		return 0
	}
	if grad != nil {
		for i := range logits.Rows {
			z, t, g := logits.Row(i), target.Row(i), grad.Row(i)
			for j, v := range z {
				w := 1.0
				if weight != nil {
					w = float64(weight.At(i, j))
				}
				g[j] = float32(w * (sigmoid(float64(v)) - float64(t[j])) / wsum)
			}
		}
	}
	return s / wsum
}

// Softmax writes the row-wise softmax of logits into probs.
func Softmax(logits, probs *tensor.Mat) {
	checkShape("Softmax", logits, probs)
	for i := range logits.Rows {
		z, p := logits.Row(i), probs.Row(i)
		m := z[0]
		for _, v := range z[1:] {
			m = max(m, v)
		}
		var sum float64
		for j, v := range z {
			e := math.Exp(float64(v - m))
			p[j] = float32(e)
			sum += e
		}
		for j := range p {
			p[j] = float32(float64(p[j]) / sum)
		}
	}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Sigmoid returns 1/(1+e^−x), computed without overflow.
func Sigmoid(x float32) float32 { return float32(sigmoid(float64(x))) }

func checkShape(op string, a, b *tensor.Mat) {
	if a.Rows != b.Rows || a.Cols != b.Cols {
		panic(fmt.Sprintf("nn: %s: shapes %d×%d and %d×%d differ", op, a.Rows, a.Cols, b.Rows, b.Cols))
	}
}
