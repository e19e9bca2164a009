package tensor

import "unsafe"

// goKernels is the portable kernel family: plain Go, for CPUs without the
// assembly kernels and for builds with the purego tag. It uses the same
// driver, packing and epilogue as the assembly, with a 4×4 tile of scalar
// accumulators (as many as the compiler keeps in registers).
var goKernels = kernelSet{
	name: "go", mr: 4, nr: 4, maskB: true, kc: 256, nc: 512,
	packed: [maxMR + 1]func(*kernelArgs){nil, goTile, goTile, goTile, goTile},
	direct: [maxMR + 1]func(*kernelArgs){nil, goTile, goTile, goTile, goTile},
	rows:   [maxMR + 1]func(*kernelArgs){nil, goTile, goTile, goTile, goTile},
	packA:  packAGo,
	packB:  packBGo,
}

// goTile is the pure-Go micro-kernel for a p.mr×p.nr (at most 4×4) tile.
func goTile(p *kernelArgs) {
	var acc [4][4]float32
	if p.mr == 4 && p.nr == 4 {
		acc = goTile4x4(p)
	} else {
		a, b := unsafe.Pointer(p.a), unsafe.Pointer(p.b)
		for s := range p.k {
			for r := range p.mr {
				ar := *(*float32)(unsafe.Add(a, r*p.rsa+s*p.csa))
				for jj := range p.nr {
					acc[r][jj] += ar * *(*float32)(unsafe.Add(b, s*p.ldb+4*jj))
				}
			}
		}
	}
	var bias []float32
	if p.bias != nil {
		bias = unsafe.Slice(p.bias, p.nr)
	}
	for r := range p.mr {
		c := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(p.c), r*p.ldc)), p.nr)
		var gate []float32
		if p.flags&flagGate != 0 {
			gate = unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(p.gate), r*p.ldg)), p.nr)
		}
		for jj := range c {
			v := acc[r][jj]
			if p.flags&flagScale != 0 {
				v *= p.alpha
			}
			if p.flags&flagLoadC != 0 {
				v += p.beta * c[jj]
			}
			if bias != nil {
				v += bias[jj]
			}
			if p.flags&flagReLU != 0 && v < 0 {
				v = 0
			}
			if gate != nil && !(gate[jj] > 0) {
				v = 0
			}
			c[jj] = v
		}
	}
}

// goTile4x4 accumulates a full 4×4 tile in sixteen locals.
func goTile4x4(p *kernelArgs) [4][4]float32 {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	a, b := unsafe.Pointer(p.a), unsafe.Pointer(p.b)
	rsa, csa, ldb := uintptr(p.rsa), uintptr(p.csa), uintptr(p.ldb)
	// Offsets rather than moving pointers: a pointer must never step past
	// the end of its allocation, not even after the last step.
	var offA, offB uintptr
	for range p.k {
		brow := (*[4]float32)(unsafe.Add(b, offB))
		b0, b1, b2, b3 := brow[0], brow[1], brow[2], brow[3]
		a0 := *(*float32)(unsafe.Add(a, offA))
		a1 := *(*float32)(unsafe.Add(a, offA+rsa))
		a2 := *(*float32)(unsafe.Add(a, offA+2*rsa))
		a3 := *(*float32)(unsafe.Add(a, offA+3*rsa))
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		offA += csa
		offB += ldb
	}
	return [4][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
}
