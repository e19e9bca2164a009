package tensor

// useElemKernels makes the element-wise kernels use the family named name
// ("avx512", "avx2", "go") until restore is called; ok is false if this CPU
// or build lacks it.
func useElemKernels(name string) (restore func(), ok bool) {
	for _, f := range elemFamilies() {
		if elemNames[f] == name {
			old := elemFamily
			elemFamily = f
			return func() { elemFamily = old }, true
		}
	}
	return func() {}, false
}

// elemKernelNames lists the element-wise kernel families this CPU and build
// can run, best first.
func elemKernelNames() []string {
	var names []string
	for _, f := range elemFamilies() {
		names = append(names, elemNames[f])
	}
	return names
}
