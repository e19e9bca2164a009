//go:build !amd64 || purego

package tensor

// kernelSets lists the families this CPU can run, best first.
func kernelSets() []*kernelSet { return []*kernelSet{&goKernels} }
