package results

import (
	"errors"
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Encode is the recorded latencies' histogram (wall microseconds, three
// significant digits) in HdrHistogram's V2 compressed encoding, base64:
// what Cell.Histogram carries and poolbench merge adds up.
func (l *Latencies) Encode() (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := l.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encoding the latency histogram: %w", err)
	}
	return string(b), nil
}

// CellLatencies reads a cell's latencies back from its Histogram, with the
// exact mean and maximum its Latency holds (converted back to wall time at
// the cell's time scale), so that Merge and Percentiles give what one
// recorder of every item would have given.
func CellLatencies(c *Cell) (*Latencies, error) {
	l := NewLatencies()
	if c.Histogram == "" {
		return nil, fmt.Errorf("cell %s carries no latency histogram (written by a poolbench before shards, or a prediction)", c.Label())
	}
	h, err := hdrhistogram.Decode([]byte(c.Histogram))
	if err != nil {
		return nil, fmt.Errorf("cell %s: decoding its latency histogram: %w", c.Label(), err)
	}
	if dropped := l.h.Merge(h); dropped > 0 {
		return nil, fmt.Errorf("cell %s: %d latencies of its histogram out of range", c.Label(), dropped)
	}
	l.n = l.h.TotalCount()
	scale := c.Timescale
	if scale <= 0 {
		return nil, fmt.Errorf("cell %s: time scale %v", c.Label(), scale)
	}
	l.sum = time.Duration(scale.WallSeconds(c.Latency.Mean) * float64(l.n) * float64(time.Second))
	l.max = time.Duration(scale.WallSeconds(c.Latency.Max) * float64(time.Second))
	return l, nil
}

// Merge adds o's latencies to l: bucket counts add (HdrHistogram's
// Merge), as do counts and sums; the maximum is the larger. o is left as
// it is.
func (l *Latencies) Merge(o *Latencies) error {
	if l == o {
		return errors.New("merging latencies into themselves")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if dropped := l.h.Merge(o.h); dropped > 0 {
		return fmt.Errorf("%d latencies out of the histogram's range", dropped)
	}
	l.n += o.n
	l.sum += o.sum
	l.max = max(l.max, o.max)
	return nil
}
