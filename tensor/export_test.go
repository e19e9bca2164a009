package tensor

// useKernels makes Gemm use the kernel family named name ("avx512", "avx2",
// "go") until restore is called; ok is false if this CPU or build lacks it.
func useKernels(name string) (restore func(), ok bool) {
	for _, ks := range kernelSets() {
		if ks.name == name {
			old := activeKernels
			activeKernels = ks
			return func() { activeKernels = old }, true
		}
	}
	return func() {}, false
}

// kernelNames lists the kernel families this CPU and build can run.
func kernelNames() []string {
	var names []string
	for _, ks := range kernelSets() {
		names = append(names, ks.name)
	}
	return names
}

// useMode forces packed or in-place operands ("packed", "direct", or
// "rows": B packed and A in place) until
// restore is called.
func useMode(name string) (restore func()) {
	old := gemmMode
	switch name {
	case "packed":
		gemmMode = modePacked
	case "direct":
		gemmMode = modeDirect
	case "rows":
		gemmMode = modeRows
	default:
		gemmMode = modeAuto
	}
	return func() { gemmMode = old }
}
