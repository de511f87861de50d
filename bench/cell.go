package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// CellPlan is one cell to run: strategy, pool (1 for serial, 0 for
// unbounded) and repeat.
type CellPlan struct {
	Strategy Strategy
	Pool     int
	Repeat   int
}

// Plan lists the cells a sweep runs, in run order: repeat by repeat, then
// strategy by strategy in the scenario's order, then pool by pool. Serial
// and unbounded run once per repeat, whatever the pools.
func (w Sweep) Plan() []CellPlan {
	var plan []CellPlan
	for r := range max(w.Repeats, 1) {
		for _, st := range w.Strategies {
			switch st {
			case Serial:
				plan = append(plan, CellPlan{st, 1, r})
			case Unbounded:
				plan = append(plan, CellPlan{st, 0, r})
			default:
				for _, p := range w.PoolSizes {
					plan = append(plan, CellPlan{st, p, r})
				}
			}
		}
	}
	return plan
}

// runCell runs one cell and summarises it.
func runCell(ctx context.Context, c *client, sc *Scenario, p CellPlan, itemsDone *atomic.Int64) (Cell, []item) {
	n, m := sc.Items, c.retry.MaxAttempts
	items := make([]item, n)
	backing := make([]attempt, n*m)
	for i := range items {
		items[i].attempts = backing[i*m : i*m : (i+1)*m]
	}
	done := func() {}
	if itemsDone != nil {
		done = func() { itemsDone.Add(1) }
	}
	start := time.Now()
	runStrategy(ctx, p.Strategy, p.Pool, c, items, done)
	wall := time.Since(start)
	cell := summarise(items, wall, sc.Timescale)
	cell.Strategy, cell.Pool, cell.Repeat = p.Strategy, p.Pool, p.Repeat
	cell.Interrupted = ctx.Err() != nil && cell.Failures[OutcomeCanceled] > 0
	return cell, items
}

// summarise turns a cell's items into its Cell (strategy, pool and repeat
// left to the caller).
func summarise(items []item, wall time.Duration, timescale float64) Cell {
	c := Cell{
		Items:    len(items),
		Failures: map[string]int{},
		Outcomes: map[string]int{},
	}
	lat := make([]float64, 0, len(items))
	for i := range items {
		it := &items[i]
		c.Attempts += len(it.attempts)
		for j := range it.attempts {
			c.Outcomes[it.attempts[j].outcome()]++
		}
		if it.started {
			lat = append(lat, it.latency.Seconds()/timescale)
		}
		switch {
		case it.ok:
			c.Succeeded++
		case !it.started || len(it.attempts) == 0:
			c.Failures[OutcomeCanceled]++
		default:
			last := &it.attempts[len(it.attempts)-1]
			c.Failures[FailureClass(last.outcome(), len(it.attempts))]++
		}
	}
	c.Failed = c.Items - c.Succeeded
	if len(c.Failures) == 0 {
		c.Failures = nil
	}
	if len(c.Outcomes) == 0 {
		c.Outcomes = nil
	}
	c.WallSeconds = wall.Seconds()
	c.ModelWallSeconds = c.WallSeconds / timescale
	if c.ModelWallSeconds > 0 {
		c.Throughput = float64(c.Items) / c.ModelWallSeconds
	}
	c.Latency = percentiles(lat)
	return c
}

// percentiles returns exact nearest-rank percentiles of xs (sorted in
// place).
func percentiles(xs []float64) Percentiles {
	if len(xs) == 0 {
		return Percentiles{}
	}
	sort.Float64s(xs)
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	rank := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(xs)))) - 1
		return xs[min(max(i, 0), len(xs)-1)]
	}
	return Percentiles{
		Mean: sum / float64(len(xs)),
		P50:  rank(0.50),
		P90:  rank(0.90),
		P95:  rank(0.95),
		P99:  rank(0.99),
		Max:  xs[len(xs)-1],
	}
}

// recordWriter encodes attempts as vegeta Results.
type recordWriter struct {
	bw       *bufio.Writer
	enc      vegeta.Encoder
	method   string
	bytesOut uint64
}

func newRecordWriter(w io.Writer, method string, bytesOut int) *recordWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &recordWriter{bw: bw, enc: vegeta.NewJSONEncoder(bw), method: method, bytesOut: uint64(bytesOut)}
}

// write encodes a cell's attempts in start order, Seq from 0, and flushes.
func (w *recordWriter) write(label, url string, items []item) error {
	var all []*attempt
	for i := range items {
		for j := range items[i].attempts {
			all = append(all, &items[i].attempts[j])
		}
	}
	slices.SortStableFunc(all, func(a, b *attempt) int { return a.start.Compare(b.start) })
	var r vegeta.Result
	for seq, a := range all {
		r = vegeta.Result{
			Attack:    label,
			Seq:       uint64(seq),
			Code:      a.code,
			Timestamp: a.start,
			Latency:   a.latency,
			BytesIn:   uint64(a.bytesIn),
			BytesOut:  w.bytesOut,
			Method:    w.method,
			URL:       url,
		}
		switch {
		case a.err != nil:
			r.Error = a.err.Error()
		case a.code < 200 || a.code >= 300:
			r.Error = fmt.Sprintf("%d %s", a.code, http.StatusText(int(a.code)))
		}
		if err := w.enc.Encode(&r); err != nil {
			return err
		}
	}
	return w.bw.Flush()
}
