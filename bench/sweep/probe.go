package sweep

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// probe measures how late this process's own timer wake-ups run: a
// goroutine sleeps probePeriod at a time and records by how much each
// wake-up missed its time. On a quiet machine that is tens of
// microseconds; when the process (client and embedded mocks) saturates the
// CPU, or the host steals it, every wake-up of the harness waits as long,
// and the probe shows it. Cells read it by differencing two snapshots.
type probe struct {
	counts [probeBuckets]atomic.Int64
	stop   chan struct{}
	done   chan struct{}
}

const (
	probePeriod = 2 * time.Millisecond
	// Buckets of wakeups in microseconds: below 8 exact, above every
	// power of two split in 8 (12.5% wide).
	probeSubBits = 3
	probeBuckets = (40 - probeSubBits + 1) << probeSubBits
)

func startProbe() *probe {
	p := &probe{stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *probe) run() {
	defer close(p.done)
	t := time.NewTimer(probePeriod)
	defer t.Stop()
	due := time.Now().Add(probePeriod)
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			late := max(now.Sub(due), 0)
			p.counts[probeBucket(uint64(late/time.Microsecond))].Add(1)
			due = time.Now().Add(probePeriod)
			t.Reset(probePeriod)
		}
	}
}

func (p *probe) close() {
	close(p.stop)
	<-p.done
}

// wakeups is a snapshot of the probe's counts.
type wakeups [probeBuckets]int64

func (p *probe) snapshot() wakeups {
	var l wakeups
	for i := range l {
		l[i] = p.counts[i].Load()
	}
	return l
}

// since is what the probe counted between an earlier snapshot and l.
func (l wakeups) since(earlier wakeups) wakeups {
	for i := range l {
		l[i] -= earlier[i]
	}
	return l
}

// quantile is the q-quantile of the wakeups counted, the upper bound of
// its bucket (0 when none was counted).
func (l wakeups) quantile(q float64) time.Duration {
	var n int64
	for _, c := range l {
		n += c
	}
	if n == 0 {
		return 0
	}
	want := int64(q*float64(n)+0.5) + 0
	want = min(max(want, 1), n)
	var cum int64
	for i, c := range l {
		cum += c
		if cum >= want {
			lo, width := probeRange(i)
			return time.Duration(lo+width-1) * time.Microsecond
		}
	}
	return 0
}

func probeBucket(v uint64) int {
	const sub = 1 << probeSubBits
	if v < sub {
		return int(v)
	}
	shift := bits.Len64(v) - 1 - probeSubBits
	return min((shift+1)<<probeSubBits+int(v>>uint(shift))-sub, probeBuckets-1)
}

func probeRange(i int) (lo, width uint64) {
	const sub = 1 << probeSubBits
	if i < sub {
		return uint64(i), 1
	}
	shift := uint(i>>probeSubBits - 1)
	return uint64(i&(sub-1)+sub) << shift, 1 << shift
}
