package main

import (
	"math/bits"
	"time"
)

// latencies is a histogram of request latencies of fixed size, so that a
// load test of millions of requests measures the server's memory and not
// its own record. Each power of two of nanoseconds is divided into
// latencySub buckets, so a quantile is off by at most 1/latencySub of
// itself (1.6%).
type latencies struct {
	counts [latencyBuckets]uint64
	n      uint64
}

const (
	latencySubBits = 6
	latencySub     = 1 << latencySubBits
	// 58 powers of two above the first latencySub nanoseconds reach
	// beyond any int64 duration.
	latencyBuckets = (64 - latencySubBits + 1) * latencySub
)

// bucket returns the index of the bucket holding d.
func latencyBucket(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < latencySub {
		return int(v)
	}
	e := bits.Len64(v) - latencySubBits - 1 // v>>e is in [latencySub, 2·latencySub)
	return (e+1)*latencySub + int(v>>e) - latencySub
}

// latencyOf returns the middle of bucket i.
func latencyOf(i int) time.Duration {
	if i < latencySub {
		return time.Duration(i)
	}
	e := i/latencySub - 1
	lo := uint64(i%latencySub+latencySub) << e
	return time.Duration(lo + (uint64(1)<<e)/2)
}

func (l *latencies) add(d time.Duration) {
	l.counts[latencyBucket(d)]++
	l.n++
}

func (l *latencies) merge(o *latencies) {
	for i, c := range o.counts {
		l.counts[i] += c
	}
	l.n += o.n
}

// quantile returns the latency below which a share p of the requests
// fell (the bucket of the request of rank ⌊p·n⌋, counting from 0), or 0
// for no requests.
func (l *latencies) quantile(p float64) time.Duration {
	if l.n == 0 {
		return 0
	}
	rank := min(uint64(p*float64(l.n)), l.n-1)
	var seen uint64
	for i, c := range l.counts {
		seen += c
		if seen > rank {
			return latencyOf(i)
		}
	}
	return latencyOf(latencyBuckets - 1)
}
