package pretext

import (
	"iter"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
)

var _ ssl.FeatureDiagnoser = (*Denoiser)(nil)

// DiagnoseFeatures implements [ssl.FeatureDiagnoser]. The per-feature
// counts are allocated once; each batch reuses the buffers of Forward, as
// an evaluation pass does.
func (d *Denoiser) DiagnoseFeatures(batches iter.Seq2[*tensor.Mat, *tensor.IntMat], noise *rand.Rand) []ssl.FeatureDiagnostic {
	t := newTally(len(d.recon.names))
	for cont, cat := range batches {
		if cont.Rows == 0 {
			continue
		}
		d.Forward(cont, cat, false, noise)
		d.recon.tally(t, cont, cat, d.corrupt.Mask)
	}
	return d.recon.diagnostics(t)
}

// tally holds per-feature sums over the batches diagnosed. A value is
// known unless it is a binary feature's missing one; err sums squared
// errors (continuous) or wrong categories (categorical) over known values.
type tally struct {
	rows                        int
	known, corrupted, maskRight []int
	corruptedKnown              []int
	err, corruptedErr           []float64
}

func newTally(n int) *tally {
	return &tally{
		known: make([]int, n), corrupted: make([]int, n), maskRight: make([]int, n), corruptedKnown: make([]int, n),
		err: make([]float64, n), corruptedErr: make([]float64, n),
	}
}

// add counts the error e of feature j's known value, corrupted or not.
func (t *tally) add(j int, e float64, corrupted bool) {
	t.known[j]++
	t.err[j] += e
	if corrupted {
		t.corruptedKnown[j]++
		t.corruptedErr[j] += e
	}
}

// tally adds the last Forward's outputs against the clean batch and the
// corruption mask to t.
func (r *Reconstruction) tally(t *tally, cont *tensor.Mat, cat *tensor.IntMat, mask *tensor.Mat) {
	nCont := cont.Cols
	rows := mask.Rows
	t.rows += rows
	for i := range rows {
		m := mask.Row(i)
		for j, v := range r.maskOut.Row(i) {
			if (v > 0) == (m[j] > 0) {
				t.maskRight[j]++
			}
			if m[j] > 0 {
				t.corrupted[j]++
			}
		}
		if r.cont != nil {
			out, clean := r.contOut.Row(i), cont.Row(i)
			for j := range nCont {
				e := float64(out[j]) - float64(clean[j])
				t.add(j, e*e, m[j] > 0)
			}
		}
		for _, c := range r.multi {
			z := r.catOut.Row(i)[c.offset : c.offset+c.card]
			best := 0
			for k, v := range z {
				if v > z[best] {
					best = k
				}
			}
			j := nCont + c.feature
			t.add(j, wrong(int32(best) != cat.At(i, c.feature)), m[j] > 0)
		}
		for k, f := range r.binary {
			c := cat.At(i, f)
			if c == 0 {
				continue // missing: no level to restore
			}
			j := nCont + f
			t.add(j, wrong((r.binOut.At(i, k) > 0) != (c == 2)), m[j] > 0)
		}
	}
}

func wrong(w bool) float64 {
	if w {
		return 1
	}
	return 0
}

// diagnostics turns the sums of t into the figures of each feature.
func (r *Reconstruction) diagnostics(t *tally) []ssl.FeatureDiagnostic {
	out := make([]ssl.FeatureDiagnostic, len(r.names))
	for j := range out {
		mean := func(sum float64, n int) float64 {
			if n == 0 {
				return 0
			}
			if r.kinds[j] == ssl.FeatureContinuous {
				return math.Sqrt(sum / float64(n))
			}
			return sum / float64(n)
		}
		out[j] = ssl.FeatureDiagnostic{
			Name: r.names[j], Kind: r.kinds[j], Rows: t.rows,
			Error:     mean(t.err[j], t.known[j]),
			Corrupted: t.corrupted[j], CorruptedError: mean(t.corruptedErr[j], t.corruptedKnown[j]),
			MaskAccuracy: ratio(t.maskRight[j], t.rows),
		}
	}
	return out
}
