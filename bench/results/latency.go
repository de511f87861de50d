package results

import (
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Latencies records item latencies (wall time) in an HdrHistogram with
// three significant digits, so a cell's figures need no more memory for a
// million items than for ten: a percentile is within 0.1% of the exact
// nearest-rank value (never above the exact maximum), and the mean and
// maximum are exact. It is safe for concurrent use.
type Latencies struct {
	mu  sync.Mutex
	h   *hdrhistogram.Histogram
	n   int64
	sum time.Duration
	max time.Duration
}

// Histogram bounds: microseconds up to upstream.MaxSample.
const (
	latencyUnit   = time.Microsecond
	latencyMax    = int64(upstream.MaxSample / latencyUnit)
	latencyDigits = 3
)

// NewLatencies returns an empty recorder (about 270 KB).
func NewLatencies() *Latencies {
	return &Latencies{h: hdrhistogram.New(1, latencyMax, latencyDigits)}
}

// Record adds one item's latency.
func (l *Latencies) Record(d time.Duration) { l.RecordN(d, 1) }

// RecordN adds n items of latency d (n ≥ 1): the same as n Records.
func (l *Latencies) RecordN(d time.Duration, n int64) {
	us := min(max(int64(d/latencyUnit), 0), latencyMax)
	l.mu.Lock()
	l.h.RecordValues(us, n) // cannot fail: us is in range
	l.n += n
	l.sum += d * time.Duration(n)
	l.max = max(l.max, d)
	l.mu.Unlock()
}

// Count is the number of latencies recorded.
func (l *Latencies) Count() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Percentiles summarises the latencies in model seconds at scale.
func (l *Latencies) Percentiles(scale upstream.Scale) Percentiles {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return Percentiles{}
	}
	maxS := l.max.Seconds()
	q := func(p float64) float64 {
		v := float64(l.h.ValueAtQuantile(p)) * latencyUnit.Seconds()
		return scale.ModelSeconds(min(v, maxS))
	}
	return Percentiles{
		Mean: scale.ModelSeconds(l.sum.Seconds() / float64(l.n)),
		P50:  q(50), P90: q(90), P95: q(95), P99: q(99),
		Max: scale.ModelSeconds(maxS),
	}
}
