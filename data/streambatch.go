package data

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// chunkRows is how many rows the second pass encodes at once: enough that
// the per-call work of [Preprocessor.Transform] is spread thin, few enough
// to cost little memory.
const chunkRows = 4096

// chunk gathers rows of the kept columns into a small [Table], so that
// they are encoded by [Preprocessor.Transform] itself.
type chunk struct {
	t     *Table
	pos   []position
	index []map[string]int32 // per categorical column, its dictionary's index
}

func (s *Stream) newChunk(capacity int) *chunk {
	ch := &chunk{t: &Table{Source: s.spec}, index: make([]map[string]int32, len(s.cols))}
	for k := range s.cols {
		c := &Column{Name: s.cols[k].name, Kind: s.cols[k].kind}
		if c.Kind == Categorical {
			c.Codes = make([]int32, 0, capacity)
			ch.index[k] = map[string]int32{}
		} else {
			c.Floats = make([]float32, 0, capacity)
		}
		ch.t.Columns = append(ch.t.Columns, c)
	}
	ch.pos = make([]position, 0, capacity)
	return ch
}

// reset empties the chunk, keeping its storage.
func (ch *chunk) reset() {
	ch.t.Rows = 0
	ch.pos = ch.pos[:0]
	for k, c := range ch.t.Columns {
		c.Floats, c.Codes, c.Dict = c.Floats[:0], c.Codes[:0], c.Dict[:0]
		if ch.index[k] != nil {
			clear(ch.index[k])
		}
	}
}

// add appends a row given as cells of the kept columns; each value is
// read as the first pass read it.
func (ch *chunk) add(s *Stream, cells []cell, pos position) {
	for k, c := range ch.t.Columns {
		sc := &s.cols[k]
		text, v, kind, missing := s.cellValue(&cells[k], sc.forced)
		if c.Kind != Categorical {
			if missing || kind != fieldNumber {
				v = float32(math.NaN()) // odd values are missing, as Read has them
			}
			c.Floats = append(c.Floats, v)
			continue
		}
		if missing || sc.forced == 0 && sc.numeric && kind != fieldNumber {
			c.Codes = append(c.Codes, -1)
			continue
		}
		code, ok := ch.index[k][text]
		if !ok {
			code = int32(len(c.Dict))
			text = string([]byte(text)) // the reader reuses its buffer
			c.Dict = append(c.Dict, text)
			ch.index[k][text] = code
		}
		c.Codes = append(c.Codes, code)
	}
	ch.pos = append(ch.pos, pos)
	ch.t.Rows++
}

// transform encodes the chunk; an error about a row is moved to where the
// row was read.
func (ch *chunk) transform(p *Preprocessor) (*Dataset, error) {
	d, err := p.Transform(ch.t)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Row >= 1 && e.Row <= len(ch.pos) {
			pos := ch.pos[e.Row-1]
			e.Source, e.Row, e.Line = pos.source, pos.row, pos.line
		}
		return nil, err
	}
	return d, nil
}

// Batches yields the training rows of a [Stream] (those not held out),
// encoded, in batches, epoch after epoch: the second pass over the files.
// Reading and encoding run on a goroutine of their own, ahead of the
// caller by a few batches.
type Batches struct {
	s    *Stream
	p    *Preprocessor
	size int

	cancel context.CancelFunc
	full   chan *Batch
	free   chan *Batch
	done   chan struct{}
	err    error // set before done is closed
	cur    *Batch
}

// batchesAhead is how many batches the reader may have ready.
const batchesAhead = 2

// Batches returns the batches of size rows (the last of an epoch holds
// the rest) of the rows of s not held out, encoded with p. Call
// [Batches.Epoch] to start each epoch.
func (s *Stream) Batches(p *Preprocessor, size int) (*Batches, error) {
	if size < 1 {
		return nil, errors.New("stream: batch size must be ≥ 1")
	}
	// Refuse a preprocessor for other columns now rather than in the
	// reading goroutine.
	for _, name := range p.inputColumns() {
		if _, err := s.column(name); err != nil {
			return nil, err
		}
	}
	return &Batches{s: s, p: p, size: size}, nil
}

// Rows returns the number of rows of an epoch.
func (b *Batches) Rows() int { return b.s.TrainRows() }

// Epoch starts reading the rows of epoch e (counted from 1), ending any
// epoch still being read. The order of the rows depends on the seed, e and
// the shuffle buffer's size, and on nothing else.
func (b *Batches) Epoch(ctx context.Context, e int) error {
	b.stop()
	ctx, b.cancel = context.WithCancel(ctx)
	b.full = make(chan *Batch, batchesAhead)
	b.free = make(chan *Batch, batchesAhead+2)
	for range batchesAhead + 1 {
		b.free <- &Batch{}
	}
	b.done = make(chan struct{})
	b.err = nil
	b.cur = nil
	go b.produce(ctx, e)
	return nil
}

// Next returns the next batch of the epoch, or nil after the last. The
// batch is valid until the next call of Next or Epoch. A reading error, or
// the end of the context, ends the epoch with an error.
func (b *Batches) Next() (*Batch, error) {
	if b.full == nil {
		return nil, errors.New("stream: Next before Epoch")
	}
	if b.cur != nil {
		b.free <- b.cur // never blocks: free has room for every batch
		b.cur = nil
	}
	bt, ok := <-b.full
	if !ok {
		<-b.done
		return nil, b.err
	}
	b.cur = bt
	return bt, nil
}

// Close stops the reading goroutine, if any.
func (b *Batches) Close() error {
	b.stop()
	return nil
}

func (b *Batches) stop() {
	if b.cancel != nil {
		b.cancel()
		<-b.done
		b.cancel = nil
	}
}

// produce reads the files for one epoch: rows not held out are encoded a
// chunk at a time and pass through the shuffle buffer into batches.
func (b *Batches) produce(ctx context.Context, epoch int) {
	defer close(b.done)
	defer close(b.full)
	sh := newShuffler(b, ctx, epoch)
	err := b.read(ctx, sh)
	if err == nil {
		err = sh.drain()
	}
	if err == nil {
		err = sh.send()
	}
	if err != nil {
		b.err = err
	}
}

func (b *Batches) read(ctx context.Context, sh *shuffler) error {
	s := b.s
	ch := s.newChunk(chunkRows)
	flush := func() error {
		if ch.t.Rows == 0 {
			return nil
		}
		d, err := ch.transform(b.p)
		if err != nil {
			return err
		}
		ch.reset()
		for i := range d.N {
			if err := sh.push(d, i); err != nil {
				return err
			}
		}
		return nil
	}
	kept := make([]cell, len(s.cols))
	for _, path := range s.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := b.readFile(path, ch, kept, flush); err != nil {
			return err
		}
	}
	return flush()
}

func (b *Batches) readFile(path string, ch *chunk, kept []cell, flush func() error) error {
	s := b.s
	return s.eachRow(path, func(cells []cell, order []int, pos position, h uint64) error {
		if h < s.threshold {
			return nil // held out
		}
		for j, k := range order {
			if k >= 0 {
				kept[k] = cells[j]
			}
		}
		ch.add(s, kept, pos)
		if ch.t.Rows == chunkRows {
			return flush()
		}
		return nil
	})
}

// shuffler is the bounded shuffle buffer: once it is full, each new row
// takes the place of a row drawn at random, which goes to the batch being
// filled; at the end the rows left come out in random order. A buffer as
// large as the data is a uniform shuffle.
type shuffler struct {
	b      *Batches
	ctx    context.Context
	rng    *rand.Rand
	nc, nk int
	cont   []float32
	cat    []int32
	n, cap int
	batch  *Batch
}

func newShuffler(b *Batches, ctx context.Context, epoch int) *shuffler {
	nc, nk := len(b.p.Continuous), len(b.p.Categorical)
	capacity := max(1, min(b.s.opt.ShuffleRows, b.s.TrainRows()))
	return &shuffler{b: b, ctx: ctx, nc: nc, nk: nk, cap: capacity,
		rng:  rand.New(rand.NewPCG(b.s.opt.Seed, mix64(uint64(epoch)^0x5eed))),
		cont: make([]float32, capacity*nc), cat: make([]int32, capacity*nk)}
}

// push adds row i of d.
func (sh *shuffler) push(d *Dataset, i int) error {
	src := d.Cont.Data[i*sh.nc : (i+1)*sh.nc]
	srcCat := d.Cat.Data[i*sh.nk : (i+1)*sh.nk]
	if sh.n < sh.cap {
		copy(sh.cont[sh.n*sh.nc:], src)
		copy(sh.cat[sh.n*sh.nk:], srcCat)
		sh.n++
		return nil
	}
	j := sh.rng.IntN(sh.cap)
	if err := sh.emit(j); err != nil {
		return err
	}
	copy(sh.cont[j*sh.nc:], src)
	copy(sh.cat[j*sh.nk:], srcCat)
	return nil
}

// drain emits the rows left in the buffer in random order.
func (sh *shuffler) drain() error {
	for sh.n > 0 {
		j := sh.rng.IntN(sh.n)
		if err := sh.emit(j); err != nil {
			return err
		}
		// The last row takes the emitted one's place.
		last := sh.n - 1
		copy(sh.cont[j*sh.nc:(j+1)*sh.nc], sh.cont[last*sh.nc:(last+1)*sh.nc])
		copy(sh.cat[j*sh.nk:(j+1)*sh.nk], sh.cat[last*sh.nk:(last+1)*sh.nk])
		sh.n--
	}
	return nil
}

// emit copies buffer row j into the batch being filled, sending the batch
// when it is full.
func (sh *shuffler) emit(j int) error {
	if sh.batch == nil {
		select {
		case sh.batch = <-sh.b.free:
		case <-sh.ctx.Done():
			return sh.ctx.Err()
		}
		bt := sh.batch
		bt.N = 0
		bt.Cont = tensor.Ensure(bt.Cont, sh.b.size, sh.nc)
		if bt.Cat == nil {
			bt.Cat = &tensor.IntMat{}
		}
		bt.Cat.Resize(sh.b.size, sh.nk)
		bt.Labels, bt.Targets = nil, nil
	}
	bt := sh.batch
	copy(bt.Cont.Data[bt.N*sh.nc:(bt.N+1)*sh.nc], sh.cont[j*sh.nc:(j+1)*sh.nc])
	copy(bt.Cat.Data[bt.N*sh.nk:(bt.N+1)*sh.nk], sh.cat[j*sh.nk:(j+1)*sh.nk])
	bt.N++
	if bt.N == sh.b.size {
		return sh.send()
	}
	return nil
}

// send passes on the batch being filled, if it holds rows.
func (sh *shuffler) send() error {
	bt := sh.batch
	if bt == nil || bt.N == 0 {
		return nil
	}
	bt.Cont.Resize(bt.N, sh.nc)
	bt.Cat.Resize(bt.N, sh.nk)
	select {
	case sh.b.full <- bt:
		sh.batch = nil
		return nil
	case <-sh.ctx.Done():
		return sh.ctx.Err()
	}
}
