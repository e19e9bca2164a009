package gandalf

import "math"

// The gates take 3n sigmoids and tanhs per row and stage; through
// float64 math.Exp they were about 40% of a training step at adult's
// width, more than the matrix products. These float32 versions are
// accurate to a few units in the last place, far below what training
// notices, and several times faster.

const (
	log2e = 1.44269504088896341
	// ln 2 split in two, so that k·ln2Hi is exact for the k of float32's
	// exponent range and the reduced argument keeps its precision.
	ln2Hi = 0.693145751953125
	ln2Lo = 1.42860682030941723212e-6
)

// expf returns e^x: x = k·ln 2 + r with |r| ≤ ln 2/2, e^r by its Taylor
// polynomial of degree 6 (truncation error below 1.3e-7 relative), times
// 2^k built in the exponent bits. Results that would be subnormal are 0,
// as x86 computes slowly on subnormals.
func expf(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88:
		return float32(math.Inf(1))
	case x < -87.33: // e^x below float32's least normal number
		return 0
	}
	kf := x * log2e
	if kf >= 0 {
		kf += 0.5
	} else {
		kf -= 0.5
	}
	k := int32(kf) // rounds to nearest: |k| ≤ 127
	r := x - float32(k)*ln2Hi - float32(k)*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(k+127)<<23)
}

// sigmoidf returns 1/(1+e^−x); an infinite e^−x gives 0.
func sigmoidf(x float32) float32 { return 1 / (1 + expf(-x)) }

// tanhf returns tanh x = 2σ(2x) − 1, whose absolute error (about 1e-7)
// is what matters where it is added to the state.
func tanhf(x float32) float32 { return 2*sigmoidf(2*x) - 1 }
