package fit

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"gonum.org/v1/gonum/stat"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Upstream is the mock configuration of an estimate: the service as the
// embedded mock and the model know it. The Retry-After of a rejection is
// the one the service sent when the run recorded it (RejectLook), else
// the mock's default.
func (f *Fit) Upstream(e Estimate) upstream.Config {
	cfg := upstream.Config{Latency: e.Service.Spec(), Seed: 1, Cap: e.Cap,
		Contention: math.Round(e.Contention*1e4) / 1e4}
	if e.Cap > 0 {
		cfg.Overflow = e.Overflow
		if e.Overflow == upstream.OverflowQueue {
			cfg.QueueLimit = e.QueueLimit
		}
		if e.Overflow == upstream.OverflowReject || cfg.QueueLimit > 0 {
			cfg.RejectStatus = e.RejectStatus
			if ra, ok := f.RetryAfter(); ok {
				cfg.RetryAfter = upstream.Duration(ra)
			}
		}
	}
	if e.ErrorStatus >= 400 && e.ErrorStatus <= 599 {
		cfg.ErrorRate, cfg.ErrorStatus = math.Min(e.ErrorRate, 1), e.ErrorStatus
	}
	cfg.ResetRate = math.Min(e.ResetRate, 1-cfg.ErrorRate)
	cfg.StallRate = math.Min(e.StallRate, 1-cfg.ErrorRate-cfg.ResetRate)
	return cfg
}

// RetryAfter is the Retry-After the service sent with a rejection, when
// the run recorded one it could read (whole seconds).
func (f *Fit) RetryAfter() (time.Duration, bool) {
	if f.Reject == nil {
		return 0, false
	}
	s, err := strconv.ParseUint(strings.TrimSpace(f.Reject.RetryAfter), 10, 32)
	if err != nil {
		return 0, false
	}
	return time.Duration(s) * time.Second, true
}

// Scenario is the run's scenario with the estimate as its `upstream:` in
// place of the target, at timescale auto: `poolbench predict` answers
// what-ifs from it and `poolbench run` replays the service on the mock.
func (f *Fit) Scenario(e Estimate) *scenario.Scenario {
	sc := f.Run.Scenario
	cfg := f.Upstream(e)
	sc.Name = strings.TrimSuffix(sc.Name, "-fitted") + "-fitted"
	sc.Description = fmt.Sprintf("The service of run %q (%s) as poolbench fit inferred it from %d cells.",
		f.Run.Scenario.Name, targetURL(f.Run), len(f.Used))
	sc.Target, sc.Upstream = nil, &cfg
	sc.Timescale = scenario.Auto
	sc.Sweep.Parallel = 0
	sc.Thresholds = nil
	return &sc
}

func targetURL(r *results.Results) string {
	if r.Scenario.Target != nil {
		return r.Scenario.Target.URL
	}
	return "the embedded mock"
}

// YAML is the fitted scenario as a scenario file, checked to load back
// (scenario.Parse) to the same scenario.
func (f *Fit) YAML() ([]byte, error) {
	sc := f.Scenario(f.Point)
	body, err := yaml.Marshal(sc)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf("# Fitted by poolbench fit from %q (%s).\n# The service's parameters with their 95%% intervals are in the fit's printout.\n", f.Run.Scenario.Name, targetURL(f.Run))
	out := append([]byte(head), body...)
	if _, err := scenario.Parse("fitted.yaml", out); err != nil {
		return nil, fmt.Errorf("the fitted scenario does not load back: %w", err)
	}
	return out, nil
}

// GateFile is the file beside fitted.yaml into which the fit writes the
// gate's scenario (GateYAML).
const GateFile = "gate.yaml"

// GateRepeats is the repeats of every pool of the gate's scenario: enough
// for compare's statistics (scripts/gate.sh).
const GateRepeats = 4

// GatePools are the pools that matter for gating the service in CI: the
// cap and twice it for a queue (where a larger pool only waits); the cap
// alone when the service rejects or resets past it (a larger pool fails
// items by design); without a cap, the largest pool measured.
func (f *Fit) GatePools() []int {
	e := f.Point
	switch {
	case e.Cap > 0 && e.Overflow == upstream.OverflowQueue:
		return []int{e.Cap, 2 * e.Cap}
	case e.Cap > 0:
		return []int{e.Cap}
	}
	return []int{max(e.MaxConc, 1)}
}

// GateScenario is the scenario to gate the service in CI with
// (scripts/gate.sh): the run's target and client, pooled at GatePools,
// GateRepeats times, enough items for every cell to hold 8 rounds of its
// pool (at least the run's items).
func (f *Fit) GateScenario() (*scenario.Scenario, error) {
	if f.Run.Scenario.Target == nil {
		return nil, fmt.Errorf("run %q was not against a target: there is no service to gate", f.Run.Scenario.Name)
	}
	sc := f.Run.Scenario
	pools := f.GatePools()
	sc.Name = strings.TrimSuffix(sc.Name, "-gate") + "-gate"
	sc.Description = fmt.Sprintf("Gate for the service at %s: pools %v, where poolbench fit found a cap of %d (%s).",
		targetURL(f.Run), pools, f.Point.Cap, cmp.Or(string(f.Point.Overflow), "none"))
	sc.Items = max(sc.Items, 8*pools[len(pools)-1])
	sc.Sweep = scenario.Sweep{Strategies: []scenario.Strategy{scenario.Pooled}, PoolSizes: pools, Repeats: GateRepeats}
	sc.Thresholds = nil
	return &sc, nil
}

// GateYAML is GateScenario as a scenario file, checked to load back.
func (f *Fit) GateYAML() ([]byte, error) {
	sc, err := f.GateScenario()
	if err != nil {
		return nil, err
	}
	body, err := yaml.Marshal(sc)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf("# The gate's scenario for %s, written by poolbench fit from %q:\n# record a baseline with scripts/gate.sh record, check it in CI with scripts/gate.sh check.\n", targetURL(f.Run), f.Run.Scenario.Name)
	out := append([]byte(head), body...)
	if _, err := scenario.Parse(GateFile, out); err != nil {
		return nil, fmt.Errorf("the gate's scenario does not load back: %w", err)
	}
	return out, nil
}

// Draws is how many bootstrap replicates a predicted range is taken over:
// the range from the smallest to the largest of 19 draws holds a further
// draw with probability 18/20, 90%.
const Draws = 19

// Coverage is the share of draws of the fitted parameters a range holds.
const Coverage = 0.9

// Range is one predicted cell with its range, in model seconds.
type Range struct {
	Strategy scenario.Strategy
	Pool     int
	Items    int
	// Predicted is the point estimate's wall time; Low and High the
	// smallest and largest over Draws parameter draws (each with a seed of
	// its own), widened by the run's error budget (what the harness may
	// add to a cell it does not flag).
	Predicted, Low, High float64
	// Failed is the point estimate's failed items.
	Failed int
	// Measured is the cell's measured model wall time (0: not measured).
	Measured float64
	Label    string
}

// Predict predicts cells of the fitted service with their ranges: items
// per cell, for the strategies and pools given (the run's when nil). It
// calls the model once for the point estimate and once per draw.
func (f *Fit) Predict(ctx context.Context, items int, strategies []scenario.Strategy, pools []int) ([]Range, error) {
	rt := seconds(f.Point.Added())
	// The range here is over the draws: no timing range per prediction.
	opts := model.Options{Items: items, Strategies: strategies, Pools: pools, RoundTrip: rt, NoRange: true}
	point, err := model.Predict(ctx, f.Scenario(f.Point), opts)
	if err != nil {
		return nil, err
	}
	out := make([]Range, len(point))
	for i, p := range point {
		out[i] = Range{Strategy: p.Strategy, Pool: p.Pool, Items: p.Items, Predicted: p.ModelWallSeconds,
			Low: p.ModelWallSeconds, High: p.ModelWallSeconds, Failed: p.Failed}
	}
	for i := range min(Draws, len(f.Replicates)) {
		e := f.Replicates[i*len(f.Replicates)/min(Draws, len(f.Replicates))]
		seed := uint64(i + 2)
		o := opts
		o.Seed, o.RoundTrip = &seed, seconds(e.Added())
		preds, err := model.Predict(ctx, f.Scenario(e), o)
		if err != nil {
			return nil, fmt.Errorf("draw %d: %w", i+1, err)
		}
		for j, p := range preds {
			out[j].Low = math.Min(out[j].Low, p.ModelWallSeconds)
			out[j].High = math.Max(out[j].High, p.ModelWallSeconds)
		}
	}
	budget := f.Run.Scenario.ErrorBudget
	if budget <= 0 {
		budget = scenario.DefaultErrorBudget
	}
	for i := range out {
		out[i].Low *= 1 - budget
		out[i].High *= 1 + budget
	}
	return out, nil
}

// Check predicts every fitted cell of the run, with its measurement.
func (f *Fit) Check(ctx context.Context) ([]Range, error) {
	out, _, err := f.CheckRun(ctx, f.Run)
	return out, err
}

// CheckRun predicts every cell of run, a run the fit may not have seen
// (a fresh measurement of pools the probe did not run), with its
// measurement: the median wall time over the cell's repeats, as one draw
// on a busy machine can stall. Interrupted cells are left out; so are
// cells the harness flagged, whose labels are returned as skipped: they
// measured poolbench, not the service.
func (f *Fit) CheckRun(ctx context.Context, run *results.Results) (out []Range, skipped []string, err error) {
	type key struct {
		s     scenario.Strategy
		pool  int
		items int
	}
	walls := map[key][]float64{}
	labels := map[key]string{}
	var order []key
	for i := range run.Cells {
		c := &run.Cells[i]
		if c.Interrupted {
			continue
		}
		if c.Bound() {
			skipped = append(skipped, c.Label())
			continue
		}
		k := key{c.Strategy, max(c.Pool, 1), c.Items}
		if walls[k] == nil {
			order = append(order, k)
			labels[k] = c.Label()
		}
		walls[k] = append(walls[k], c.ModelWallSeconds)
	}
	for _, k := range order {
		r, err := f.Predict(ctx, k.items, []scenario.Strategy{k.s}, []int{k.pool})
		if err != nil {
			return nil, nil, err
		}
		w := walls[k]
		r[0].Measured, r[0].Label = stat.Quantile(0.5, stat.LinInterp, sorted(w), nil), labels[k]
		if len(w) > 1 {
			r[0].Label = fmt.Sprintf("%s/p=%d (median of %d)", k.s, k.pool, len(w))
		}
		out = append(out, r[0])
	}
	return out, skipped, nil
}

// Outside are the ranges whose measurement falls outside them.
func Outside(rs []Range) []Range {
	var out []Range
	for _, r := range rs {
		if r.Measured < r.Low || r.Measured > r.High {
			out = append(out, r)
		}
	}
	return out
}

// seconds converts seconds to a Duration, rounded to the nanosecond.
func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }
