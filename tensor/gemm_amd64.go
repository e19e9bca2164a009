//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd internal/asmgen && go run . -out ../../gemm_kernels_amd64.s -decl ../../gemm_kernels_amd64.go"

// avx512Kernels: 12×32 tiles in 24 zmm accumulators, columns masked with
// k-registers, panels packed by transposing in registers. A block of 512
// steps of k halves the passes over C of a 256-step block at the same
// speed per step; 256 columns keep the packed B block at 512 KB.
var avx512Kernels = kernelSet{
	name: "avx512", mr: avx512MR, nr: avx512NR, maskB: true, kc: 512, nc: 256,
	packA: packA512, packB: packB512,
}

// avx2Kernels: 6×16 tiles in 12 ymm accumulators, for CPUs without
// AVX-512.
var avx2Kernels = kernelSet{
	name: "avx2", mr: avx2MR, nr: avx2NR, kc: 256, nc: 512,
	packA: packA2, packB: packB2,
}

func init() {
	copy(avx512Kernels.packed[:], avx512Packed[:])
	copy(avx512Kernels.direct[:], avx512Direct[:])
	copy(avx512Kernels.rows[:], avx512Rows[:])
	copy(avx2Kernels.packed[:], avx2Packed[:])
	copy(avx2Kernels.direct[:], avx2Direct[:])
	copy(avx2Kernels.rows[:], avx2Rows[:])
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasBMI2:
		activeKernels = &avx512Kernels
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		activeKernels = &avx2Kernels
	}
}

// kernelSets lists the families this CPU can run, best first.
func kernelSets() []*kernelSet {
	var s []*kernelSet
	if cpu.X86.HasAVX512F && cpu.X86.HasBMI2 {
		s = append(s, &avx512Kernels)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		s = append(s, &avx2Kernels)
	}
	return append(s, &goKernels)
}

// packA512 is kernelSet.packA for the 12-row AVX-512 kernels.
func packA512(dst []float32, a *Mat, trans bool, i0, mr, pc, kc, MR int) {
	dst = dst[:kc*avx512MR]
	if trans {
		// Group p is mr contiguous values of row pc+p of A.
		gemmPackCopy12(&dst[0], &a.Data[pc*a.Stride+i0], a.Stride*4, kc, 1<<mr-1)
		return
	}
	var rows [16]*float32
	for r := range rows {
		rows[r] = &zeroRow[0]
		if r < mr {
			rows[r] = &a.Data[(i0+r)*a.Stride+pc]
		}
	}
	gemmPackTA(&dst[0], &rows, kc)
}

// packB512 is kernelSet.packB for the 32-column AVX-512 kernels.
func packB512(dst []float32, b *Mat, trans bool, pc, kc, j0, nr, NR int) {
	dst = dst[:kc*avx512NR]
	if !trans {
		gemmPackCopy32(&dst[0], &b.Data[pc*b.Stride+j0], b.Stride*4, kc, uint32(1<<nr-1))
		return
	}
	// Column jj of the panel is row j0+jj of B: two transposes of 16 rows.
	var rows [16]*float32
	for half := range 2 {
		for r := range rows {
			rows[r] = &zeroRow[0]
			if jj := 16*half + r; jj < nr {
				rows[r] = &b.Data[(j0+jj)*b.Stride+pc]
			}
		}
		gemmPackTB(&dst[16*half], &rows, kc)
	}
}

// lanes returns the AVX2 lane masks of the first n ≤ 16 columns.
func lanes(n int) *[16]int32 { return (*[16]int32)(laneMasks[16-n : 32-n]) }

// transposeMasks is what the AVX2 transposing packers take: 8 lanes of -1,
// then 8 of 0.
var transposeMasks = (*[16]int32)(laneMasks[8:24])

// packA2 is kernelSet.packA for the 6-row AVX2 kernels.
func packA2(dst []float32, a *Mat, trans bool, i0, mr, pc, kc, MR int) {
	dst = dst[:kc*avx2MR]
	if trans {
		gemmPackCopy6(&dst[0], &a.Data[pc*a.Stride+i0], a.Stride*4, kc, lanes(mr))
		return
	}
	var rows [8]*float32
	for r := range rows {
		rows[r] = &zeroRow[0]
		if r < mr {
			rows[r] = &a.Data[(i0+r)*a.Stride+pc]
		}
	}
	gemmPackTA6(&dst[0], &rows, kc, transposeMasks)
}

// packB2 is kernelSet.packB for the 16-column AVX2 kernels.
func packB2(dst []float32, b *Mat, trans bool, pc, kc, j0, nr, NR int) {
	dst = dst[:kc*avx2NR]
	if !trans {
		gemmPackCopy16(&dst[0], &b.Data[pc*b.Stride+j0], b.Stride*4, kc, lanes(nr))
		return
	}
	// Column jj of the panel is row j0+jj of B: two transposes of 8 rows.
	var rows [8]*float32
	for half := range 2 {
		for r := range rows {
			rows[r] = &zeroRow[0]
			if jj := 8*half + r; jj < nr {
				rows[r] = &b.Data[(j0+jj)*b.Stride+pc]
			}
		}
		gemmPackTB8(&dst[8*half], &rows, kc, transposeMasks)
	}
}
