package fit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/mocksrv/upstream"
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
	var h harnessCost
	calibrated := false
	var lateness []float64
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
		if cal := res.Calibration; cal != nil && !calibrated {
			h, calibrated = harnessCost{scale: c.Timescale, busy: cal.BusyRoundTrip, idle: cal.IdleRoundTrips}, true
		}
		if o.conc == 1 && c.Harness != nil {
			lateness = append(lateness, c.Timescale.ModelSeconds(c.Harness.Lateness))
		}
		obs = append(obs, o)
		f.Used = append(f.Used, c.Label())
	}
	if len(h.idle) == 0 && len(lateness) > 0 {
		// A run from before the calibration recorded its idle round
		// trips: the probe timer's lateness stands in.
		h.lateness = stat.Mean(lateness, nil)
	}
	loopback, wake := h.added(nil)
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
		loopback, wake := h.added(rng)
		if e, ok := estimate(resample(obs, rng), loopback, wake, point.Service.Family); ok {
			f.Replicates = append(f.Replicates, e)
		}
	}
	return f, nil
}

// harnessCost is what the harness's calibration says an attempt costs
// beyond the service, in model seconds at scale: the network is the round
// trip back to back; what an attempt sent one at a time pays beyond it
// (both sides waking from idle, milliseconds on a busy machine) is the
// harness's, measured against its own mock: the median idle round trip
// less the back-to-back one (a mean, which a stall can inflate past the
// idle median: then the median is all). A run from before the
// calibration recorded its idle round trips has the probe timer's
// lateness instead.
type harnessCost struct {
	scale    upstream.Scale
	busy     float64   // wall seconds
	idle     []float64 // wall seconds
	lateness float64   // model seconds
}

// added is the loopback round trip and the wake-up, model seconds: from
// the idle round trips' median, or, with rng, the median of a bootstrap
// draw of them (the replicates' share of the calibration's uncertainty).
func (h harnessCost) added(rng *rand.Rand) (loopback, wake float64) {
	if len(h.idle) == 0 {
		return h.scale.ModelSeconds(h.busy), h.lateness
	}
	xs := h.idle
	if rng != nil {
		xs = draw(h.idle, rng)
	}
	med := stat.Quantile(0.5, stat.Empirical, sorted(xs), nil)
	loopback = math.Min(h.busy, med)
	return h.scale.ModelSeconds(loopback), h.scale.ModelSeconds(med - loopback)
}

func draw(xs []float64, rng *rand.Rand) []float64 {
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
