package mocksrv

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram is a lock-free log-linear histogram of durations in
// nanoseconds, in the manner of HdrHistogram: values below 2^subBits ns are
// counted exactly; above, every power-of-two range is split into 2^subBits
// equal buckets. A percentile is reported as the middle of its bucket, so
// its relative error is at most 2^-(subBits+1) = 0.39% (and it is never
// reported above the exact maximum). The count, sum (hence the mean) and
// maximum are exact. Recording is a few atomic adds: no lock on the hot
// path.
type histogram struct {
	counts [histBuckets]atomic.Int64
	count  atomic.Int64
	sum    atomic.Int64
	max    atomic.Int64
}

const (
	subBits     = 7
	subCount    = 1 << subBits
	histBuckets = (64 - subBits + 1) * subCount
)

// bucketOf returns the bucket index of v ≥ 0.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - 1 - subBits
	return (shift+1)<<subBits + int(v>>uint(shift)) - subCount
}

// bucketRange returns the lowest value of bucket i and its width.
func bucketRange(i int) (lo, width uint64) {
	if i < subCount {
		return uint64(i), 1
	}
	shift := uint(i>>subBits - 1)
	return uint64(i&(subCount-1)+subCount) << shift, 1 << shift
}

func (h *histogram) record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(uint64(v))].Add(1)
	h.count.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

func (h *histogram) reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
	h.count.Store(0)
	h.sum.Store(0)
	h.max.Store(0)
}

// summaries returns the histogram in wall seconds and divided by scale.
func (h *histogram) summaries(scale float64) (applied, model Summary) {
	var counts [histBuckets]int64
	var total int64
	for i := range h.counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	maxNS := h.max.Load()
	applied.Count = total
	if total > 0 {
		applied.Mean = float64(h.sum.Load()) / float64(h.count.Load()) / 1e9
	}
	qs := [...]float64{0.50, 0.90, 0.99}
	var out [len(qs)]float64
	var cum int64
	q := 0
	for i := 0; i < histBuckets && q < len(qs); i++ {
		cum += counts[i]
		for q < len(qs) && cum > 0 && float64(cum) >= qs[q]*float64(total) {
			lo, w := bucketRange(i)
			mid := float64(lo) + float64(w-1)/2
			out[q] = min(mid, float64(maxNS)) / 1e9
			q++
		}
	}
	applied.P50, applied.P90, applied.P99 = out[0], out[1], out[2]
	applied.Max = float64(maxNS) / 1e9
	model = applied
	if scale > 0 && scale != 1 {
		model.Mean /= scale
		model.P50 /= scale
		model.P90 /= scale
		model.P99 /= scale
		model.Max /= scale
	}
	return applied, model
}
