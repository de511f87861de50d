// Package probe measures a service with a short sweep designed to be
// fitted (bench/fit): one request at a time first, for the service time,
// then pools doubling from 2 until goodput stops growing, failures pass a
// limit or a bound would be crossed. A cell the harness flagged, or whose
// goodput did not grow, is measured once more and the better kept. Every cell is a sweep (bench/sweep)
// against the target, with no retries: an attempt is an item.
//
// What it guarantees: it never sends more than Limits.MaxRequests
// attempts nor runs past Limits.MaxTime (a cell cut short by the time
// limit is kept, marked interrupted); within a cell it sends no faster
// than Limits.MaxRate requests a second once the cell's pool has started
// (a token bucket as deep as the pool: in any t seconds of a cell, at
// most pool + MaxRate × t attempts), however fast the service answers;
// it starts no cell whose pool would need more than MaxRate at the
// latency measured alone (the limit would then shape the measurement);
// it loads loopback addresses only unless AllowRemote.
package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/sweep"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Limits bound a probe. The zero value of a field means its default.
type Limits struct {
	// MaxRequests bounds the attempts sent, all cells together (default
	// 3000).
	MaxRequests int
	// MaxTime bounds the probe's wall time (default 60s).
	MaxTime time.Duration
	// MaxRate bounds a cell's requests per second once its pool has
	// started, and no cell starts that would need more at the latency
	// measured one at a time (default 500).
	MaxRate float64
	// MaxPool is the largest pool (default 256).
	MaxPool int
	// MaxFailures stops the probe after a cell that failed more than this
	// share of its items (default 0.2).
	MaxFailures float64
	// Precision is the relative half-width, at 95%, wanted of the mean
	// service time: it sets the items per cell (default 0.02).
	Precision float64
	// Growth is the least relative goodput gain that doubling the pool
	// must bring for the probe to go on (default 0.1).
	Growth float64
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration
}

// WithDefaults fills the zero fields.
func (l Limits) WithDefaults() Limits {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if l.MaxRequests == 0 {
		l.MaxRequests = 3000
	}
	if l.MaxTime == 0 {
		l.MaxTime = time.Minute
	}
	if l.MaxPool == 0 {
		l.MaxPool = 256
	}
	if l.Timeout == 0 {
		l.Timeout = 10 * time.Second
	}
	def(&l.MaxRate, 500)
	def(&l.MaxFailures, 0.2)
	def(&l.Precision, 0.02)
	def(&l.Growth, 0.1)
	return l
}

// Validate checks the limits.
func (l Limits) Validate() error {
	var errs []error
	if l.MaxRequests < 2*pilotItems {
		errs = append(errs, fmt.Errorf("max requests %d: want at least %d", l.MaxRequests, 2*pilotItems))
	}
	if l.MaxTime < time.Second {
		errs = append(errs, fmt.Errorf("max time %v: want at least 1s", l.MaxTime))
	}
	if !(l.MaxRate > 0) {
		errs = append(errs, fmt.Errorf("max rate %v: want a positive number of requests per second", l.MaxRate))
	}
	if l.MaxPool < 2 || l.MaxPool > scenario.MaxPool {
		errs = append(errs, fmt.Errorf("max pool %d: want 2 to %d", l.MaxPool, scenario.MaxPool))
	}
	if !(l.MaxFailures >= 0 && l.MaxFailures < 1) {
		errs = append(errs, fmt.Errorf("max failures %v: want a share from 0 to 1, like 0.2", l.MaxFailures))
	}
	if !(l.Precision > 0 && l.Precision < 1) {
		errs = append(errs, fmt.Errorf("precision %v: want a share above 0, like 0.01", l.Precision))
	}
	if !(l.Growth > 0 && l.Growth < 1) {
		errs = append(errs, fmt.Errorf("growth %v: want a share above 0, like 0.1", l.Growth))
	}
	if l.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout %v: want a positive duration", l.Timeout))
	}
	return errors.Join(errs...)
}

// Items per cell: the pilot's (one at a time), the fewest of any cell, and
// the fewest per request in flight (so the ramp up and the drain are a
// small part of a cell).
const (
	pilotItems   = 12
	minItems     = 16
	itemsPerSlot = 8
)

// Options are a probe's target and what it reports to.
type Options struct {
	// Target is the service: its URL, method, headers and body.
	Target scenario.Target
	// Name is the scenario's name in the results.
	Name        string
	Limits      Limits
	ErrorBudget float64
	AllowRemote bool
	// Records receives every attempt (requests.jsonl).
	Records io.Writer
	// Progress receives a line as each cell ends (nil: none).
	Progress io.Writer
	// ItemsDone, when set, is incremented as each item ends (a progress
	// bar's count).
	ItemsDone *atomic.Int64
	// Warn receives warnings (nil: none).
	Warn func(string)
}

// Outcome is what a probe measured.
type Outcome struct {
	// Results are the cells, one sweep: serial first, then the pools.
	Results *results.Results
	// Stopped says why the probe stopped.
	Stopped string
	// Attempts is the number of requests sent.
	Attempts int
}

// Run probes the target. It returns what was measured also when it
// stops early: with ctx's error when ctx was canceled (the interrupted
// cell is kept, marked), with a cell's error when a sweep failed.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	l := o.Limits.WithDefaults()
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if !o.AllowRemote {
		if err := scenario.CheckTarget(ctx, &o.Target); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	runCtx, cancel := context.WithDeadline(ctx, start.Add(l.MaxTime))
	defer cancel()
	cal, err := sweep.Calibrate(runCtx, 1, sweep.ViaOf(&scenario.Scenario{Target: &o.Target}))
	if err != nil {
		return nil, fmt.Errorf("calibrating the harness: %w", err)
	}
	p := &prober{o: o, l: l, cal: &cal, start: start}
	out := &Outcome{}
	out.Stopped, err = p.sweep(runCtx)
	if err == nil && p.recErr != nil {
		err = fmt.Errorf("writing the records: %w", p.recErr)
	}
	out.Results, out.Attempts = p.res, p.attempts
	if p.res != nil {
		p.res.Finished = time.Now().UTC()
		p.res.Complete = err == nil
	}
	switch {
	case ctx.Err() != nil:
		return out, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		out.Stopped = fmt.Sprintf("the time limit (%v) was reached", l.MaxTime)
		err = nil
	}
	return out, err
}

type prober struct {
	o        Options
	l        Limits
	cal      *sweep.Calibration
	start    time.Time
	res      *results.Results
	attempts int
	recErr   error // writing the records
}

// sweep runs the cells and says why it stopped.
func (p *prober) sweep(ctx context.Context) (string, error) {
	flagged := func(c *results.Cell) bool { return c.Bound() }
	pilot, err := p.cell(ctx, scenario.Serial, 1, pilotItems, flagged)
	if err != nil {
		return "", err
	}
	if pilot.Succeeded < 2 {
		return "the service answered fewer than 2 of the first requests", nil
	}
	// The pilot's spread sets the items per cell for the precision wanted
	// of the mean service time: n = (1.96 · cv / precision)², with the
	// coefficient of variation read robustly from the pilot's quantiles
	// ((p90 − p50) / 1.2816 / p50, a normal's), at least minItems and at
	// most what keeps the one-at-a-time cell within an eighth of the time
	// limit.
	lat := pilot.Latency
	alone := pilot.ModelWallSeconds / float64(pilot.Items)
	cv := 0.0
	if lat.P50 > 0 {
		cv = math.Max(lat.P90-lat.P50, 0) / 1.2816 / lat.P50
	}
	most := max(minItems, int(p.l.MaxTime.Seconds()/8/alone))
	n := min(most, max(minItems, int(math.Ceil(math.Pow(1.96*cv/p.l.Precision, 2)))))
	best := pilot.Goodput
	if reason := p.stop(pilot); reason != "" {
		return reason, nil
	}
	if extra := n - pilotItems; extra >= minItems/2 {
		c, err := p.cell(ctx, scenario.Pooled, 1, min(extra, p.l.MaxRequests-p.attempts), flagged)
		if err != nil {
			return "", err
		}
		if reason := p.stop(c); reason != "" {
			return reason, nil
		}
	}
	for pool := 2; ; pool *= 2 {
		items := max(n, itemsPerSlot*pool)
		switch {
		case pool > p.l.MaxPool:
			return fmt.Sprintf("the largest pool allowed (%d) was measured", p.l.MaxPool), nil
		case p.attempts+items > p.l.MaxRequests:
			return fmt.Sprintf("pool %d would need %d more requests than the limit of %d allows", pool, p.attempts+items-p.l.MaxRequests, p.l.MaxRequests), nil
		case float64(pool)/alone > p.l.MaxRate:
			return fmt.Sprintf("pool %d would send about %.0f requests a second, above the limit of %g", pool, float64(pool)/alone, p.l.MaxRate), nil
		case time.Duration(float64(items)/best*float64(time.Second)) > p.l.MaxTime-time.Since(p.start):
			return fmt.Sprintf("pool %d would need about %.1f s, more than the time left", pool, float64(items)/best), nil
		}
		// A cell the harness flagged, or whose goodput did not grow as
		// wanted (where a probe ends: a plateau, or a busy machine's
		// stall), is measured once more.
		c, err := p.cell(ctx, scenario.Pooled, pool, items, func(c *results.Cell) bool {
			return c.Bound() || (p.stop(c) == "" && c.Goodput < best*(1+p.l.Growth))
		})
		if err != nil {
			return "", err
		}
		if reason := p.stop(c); reason != "" {
			return reason, nil
		}
		if c.Goodput < best*(1+p.l.Growth) {
			return fmt.Sprintf("goodput stopped growing at pool %d (%.4g items/s, %.4g at pool %d)", pool, c.Goodput, best, pool/2), nil
		}
		best = c.Goodput
	}
}

// stop says why the probe must stop after cell c ("" to go on).
func (p *prober) stop(c *results.Cell) string {
	switch {
	case c.Bound():
		return fmt.Sprintf("the harness flagged %s (%s)", c.Label(), c.Harness.Reason)
	case float64(c.Failed) > p.l.MaxFailures*float64(c.Items):
		return fmt.Sprintf("%s failed %d of %d items, more than the limit of %.0f%%", c.Label(), c.Failed, c.Items, 100*p.l.MaxFailures)
	}
	return ""
}

// cell runs one cell, a sweep of its own, and keeps it (the results and
// the records). When again says the cell is suspect and the limits allow,
// it runs the cell once more and keeps the better of the two (one the
// harness did not flag over one it did, else the higher goodput): a busy
// machine's stall must not end a probe, nor a cell the harness flagged
// refuse its fit. Both count against MaxRequests; only the kept one's
// attempts are recorded.
func (p *prober) cell(ctx context.Context, st scenario.Strategy, pool, items int, again func(*results.Cell) bool) (*results.Cell, error) {
	res, rec, err := p.measure(ctx, st, pool, items, "")
	if res == nil {
		return nil, err
	}
	if len(res.Cells) == 0 {
		return nil, errors.Join(err, errors.New("the cell did not run"))
	}
	if c := &res.Cells[0]; err == nil && again != nil && again(c) && p.attempts+items <= p.l.MaxRequests &&
		time.Since(p.start)+time.Duration(c.WallSeconds*float64(time.Second)) < p.l.MaxTime {
		res2, rec2, err2 := p.measure(ctx, st, pool, items, " (again)")
		if res2 != nil && len(res2.Cells) > 0 && better(&res2.Cells[0], c) {
			res, rec = res2, rec2
		}
		err = err2
	}
	return p.keep(res, rec, st, pool, items), err
}

// better says whether cell a measured the service better than b: a is
// whole and the harness flagged b and not a, or neither and a's goodput
// is higher.
func better(a, b *results.Cell) bool {
	if a.Interrupted {
		return false
	}
	if a.Bound() != b.Bound() {
		return b.Bound()
	}
	return a.Goodput > b.Goodput
}

// measure runs one cell, a sweep of its own, holding its records.
func (p *prober) measure(ctx context.Context, st scenario.Strategy, pool, items int, note string) (*results.Results, *bytes.Buffer, error) {
	t := p.o.Target
	sc := scenario.Scenario{Name: p.o.Name, Items: items, ErrorBudget: p.o.ErrorBudget, Seed: 1, Target: &t,
		Client: scenario.Client{Timeout: upstream.Duration(p.l.Timeout), Retry: scenario.Retry{MaxAttempts: 1}},
		Sweep:  scenario.Sweep{Strategies: []scenario.Strategy{st}, PoolSizes: []int{pool}}}
	sc = sc.WithDefaults()
	// The rate limit is the client's: a cell starts its pool at once (the
	// limiter's burst), then sends no faster than MaxRate, however fast
	// the service answers (rejections answered at once).
	lim := rate.NewLimiter(rate.Limit(p.l.MaxRate), max(pool, 1))
	var rec bytes.Buffer
	opts := sweep.Options{AllowRemote: p.o.AllowRemote, Calibration: p.cal, Warn: p.o.Warn, Pace: lim.Wait, ItemsDone: p.o.ItemsDone}
	if p.o.Records != nil {
		opts.Records = &rec
	}
	res, err := sweep.Run(ctx, &sc, opts)
	if res != nil && len(res.Cells) > 0 {
		c := &res.Cells[0]
		p.attempts += c.Attempts
		if p.o.Progress != nil {
			fmt.Fprintf(p.o.Progress, "probe: %-14s %4d items in %6.2f s  goodput %8.4g/s  p50 %s  failed %d%s\n",
				c.Label(), c.Items, c.WallSeconds, c.Goodput, fmtSeconds(c.Latency.P50), c.Failed, note)
		}
	}
	return res, &rec, err
}

// keep adds the cell of res to the probe's results and its records to
// the probe's.
func (p *prober) keep(res *results.Results, rec *bytes.Buffer, st scenario.Strategy, pool, items int) *results.Cell {
	if p.res == nil {
		p.res = res
		p.res.Scenario.Sweep.Strategies = []scenario.Strategy{scenario.Serial, scenario.Pooled}
		p.res.Scenario.Sweep.PoolSizes = nil
	} else {
		p.res.Cells = append(p.res.Cells, res.Cells...)
	}
	p.res.Scenario.Items = max(p.res.Scenario.Items, items)
	if sizes := p.res.Scenario.Sweep.PoolSizes; st == scenario.Pooled && (len(sizes) == 0 || sizes[len(sizes)-1] != pool) {
		p.res.Scenario.Sweep.PoolSizes = append(sizes, pool)
	}
	if p.o.Records != nil && p.recErr == nil {
		_, p.recErr = rec.WriteTo(p.o.Records)
	}
	return &p.res.Cells[len(p.res.Cells)-1]
}

func fmtSeconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(10 * time.Microsecond).String()
}
