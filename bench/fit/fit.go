package fit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
)

// ErrFlagged is wrapped by the error of a fit refused because the harness
// flagged cells of the run: they measured poolbench, not the service.
var ErrFlagged = errors.New("cells flagged by the harness")

// ErrCannotFit is wrapped by the errors about a run that holds too little
// to fit (no cell with one request in flight, no records).
var ErrCannotFit = errors.New("cannot fit")

// RejectLookFile is the file beside results.json in which `poolbench
// probe` records what a rejection of the service carried (RejectLook).
const RejectLookFile = "rejection.json"

// RejectLook is one rejection as the service sent it: its status and its
// Retry-After header, verbatim ("" when it sent none).
type RejectLook struct {
	Status     int    `json:"status"`
	RetryAfter string `json:"retry_after"`
}

// Options tune Infer.
type Options struct {
	// Replicates is the number of bootstrap replicates behind every
	// interval (default 200).
	Replicates int
	// Seed makes the bootstrap repeatable (default 1).
	Seed uint64
	// Reject is what a rejection carried, when the run recorded it.
	Reject *RejectLook
}

// Fit is a service inferred from a run.
type Fit struct {
	// Run is the run the fit comes from.
	Run *results.Results
	// Point is the estimate from every item; Replicates are the bootstrap's.
	Point      Estimate
	Replicates []Estimate
	// Reject is what a rejection carried (nil: not recorded).
	Reject *RejectLook
	// Used are the labels of the cells fitted; Skipped the interrupted
	// ones left out.
	Used, Skipped []string
}

// Dir reads DIR/results.json, DIR/requests.jsonl and, when present,
// DIR/rejection.json, and fits them (Infer). path may also name
// results.json itself.
func Dir(ctx context.Context, path string, opts Options) (*Fit, error) {
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	res, err := results.Read(path)
	if err != nil {
		return nil, err
	}
	recs, err := readRecords(ctx, filepath.Join(dir, "requests.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("%w: the fit needs the run's per-attempt records: %w", ErrCannotFit, err)
	}
	if opts.Reject == nil {
		if b, err := os.ReadFile(filepath.Join(dir, RejectLookFile)); err == nil {
			var look RejectLook
			if err := json.Unmarshal(b, &look); err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Join(dir, RejectLookFile), err)
			}
			opts.Reject = &look
		}
	}
	return infer(ctx, res, recs, opts)
}

// infer fits the run's cells: it refuses cells the harness flagged, leaves
// interrupted cells out, and bootstraps every parameter over the items.
func infer(ctx context.Context, res *results.Results, recs map[string]*attempts, opts Options) (*Fit, error) {
	f := &Fit{Run: res, Reject: opts.Reject}
	var flagged []string
	for i := range res.Cells {
		if c := &res.Cells[i]; c.Bound() {
			flagged = append(flagged, fmt.Sprintf("%s (%s)", c.Label(), c.Harness.Reason))
		}
	}
	if len(flagged) > 0 {
		return nil, fmt.Errorf("%w: %s; they measured poolbench, not the service: run them again (a slower service, a quieter machine, or a larger -error-budget)", ErrFlagged, strings.Join(flagged, "; "))
	}
	var obs []observed
	var loopback float64
	var wakes []float64
	for i := range res.Cells {
		c := &res.Cells[i]
		if _, fixed, _ := c.Strategy.Kind().Fixed(c.Pool, c.Items); c.Interrupted || !fixed {
			// interrupted, or a limit that adapts: no fixed concurrency to fit against
			f.Skipped = append(f.Skipped, c.Label())
			continue
		}
		o, err := observe(c, recs[c.Label()], res.Scenario.ClientCount())
		if err != nil {
			return nil, err
		}
		if res.Calibration != nil && loopback == 0 {
			// Back to back, not from idle: a wake-up from idle on a busy
			// machine costs milliseconds, and is the harness's, not the
			// network's.
			loopback = c.Timescale.ModelSeconds(res.Calibration.BusyRoundTrip)
		}
		if o.conc == 1 && c.Harness != nil {
			wakes = append(wakes, c.Timescale.ModelSeconds(c.Harness.Lateness))
		}
		obs = append(obs, o)
		f.Used = append(f.Used, c.Label())
	}
	var wake float64
	if len(wakes) > 0 {
		wake = stat.Mean(wakes, nil)
	}
	point, ok := estimate(obs, loopback, wake, "")
	if !ok {
		return nil, fmt.Errorf("%w: no cell kept one request in flight with two or more answers (a serial or pool-1 cell): the service time alone cannot be told from queueing", ErrCannotFit)
	}
	f.Point = point
	n := opts.Replicates
	if n <= 0 {
		n = 200
	}
	rng := rand.New(rand.NewPCG(max(opts.Seed, 1), 0x6669740a))
	for range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if e, ok := estimate(resample(obs, rng), loopback, wake, point.Service.Family); ok {
			f.Replicates = append(f.Replicates, e)
		}
	}
	return f, nil
}

// observe turns a cell and its records into what the fit uses; clients
// is the run's fleet (its requests in flight are every client's).
func observe(c *results.Cell, a *attempts, clients int) (observed, error) {
	conc, err := model.FleetConcurrency(c.Strategy, c.Pool, c.Items, clients)
	if err != nil {
		return observed{}, fmt.Errorf("cell %s: %w", c.Label(), err)
	}
	if a == nil || len(a.latency) == 0 {
		return observed{}, fmt.Errorf("%w: requests.jsonl has no attempt of cell %s", ErrCannotFit, c.Label())
	}
	o := observed{label: c.Label(), conc: conc, items: c.Items, attempts: len(a.latency), wall: c.ModelWallSeconds,
		rejects: map[int]int{}, errors: map[int]int{}, resets: c.Outcomes["reset"]}
	for i, lat := range a.latency {
		m := c.Timescale.ModelSeconds(lat)
		switch code := a.code[i]; {
		case code >= 200 && code < 300:
			o.ok = append(o.ok, m)
			o.okSpans = append(o.okSpans, span{c.Timescale.ModelSeconds(a.start[i]), m})
			o.okAndSlow++
		case isReject(code):
			o.rejected = append(o.rejected, m)
			o.rejects[code]++
		case code >= 400:
			o.errors[code]++
			o.okAndSlow++
		default:
			o.noAnswer++
		}
	}
	return o, nil
}

// resample draws every cell's answers again with replacement, and scales
// its wall time by the ratio of the resampled mean answer to the measured
// one (the cell's wall time is its answers' time, lane by lane).
func resample(obs []observed, rng *rand.Rand) []observed {
	out := make([]observed, len(obs))
	for i, o := range obs {
		r := o
		r.ok = draw(o.ok, rng)
		r.rejected = draw(o.rejected, rng)
		if len(o.ok) > 0 {
			r.wall = o.wall * stat.Mean(r.ok, nil) / stat.Mean(o.ok, nil)
		}
		out[i] = r
	}
	return out
}

func draw(xs []float64, rng *rand.Rand) []float64 {
	if len(xs) == 0 {
		return nil
	}
	out := make([]float64, len(xs))
	for i := range out {
		out[i] = xs[rng.IntN(len(xs))]
	}
	return out
}

// Interval is the central 95% of a parameter over the bootstrap
// replicates (the point estimate twice when there are none).
func (f *Fit) Interval(param func(Estimate) float64) (lo, hi float64) {
	if len(f.Replicates) == 0 {
		v := param(f.Point)
		return v, v
	}
	xs := make([]float64, len(f.Replicates))
	for i, e := range f.Replicates {
		xs[i] = param(e)
	}
	slices.Sort(xs)
	return stat.Quantile(0.025, stat.Empirical, xs, nil), stat.Quantile(0.975, stat.Empirical, xs, nil)
}
