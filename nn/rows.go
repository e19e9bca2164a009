package nn

// rowsTask runs a layer's row-wise loop over ranges of rows on the worker
// pool (tensor.Parallel). A layer makes it once, from a method value (which
// allocates), and passes its address on every call.
type rowsTask struct{ f func(lo, hi int) }

// Run implements tensor.Task.
func (t *rowsTask) Run(lo, hi int) { t.f(lo, hi) }

// rowGrain is the least number of rows a worker takes, for rows of n
// values: about 16k values, so that a small batch is not split for nothing.
func rowGrain(n int) int { return max(1, (1<<14)/max(n, 1)) }
