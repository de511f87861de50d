package model

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Spread says what a cell's range covers (see Range).
type Spread struct {
	// Runs is the number of simulated runs per cell (default DefaultRuns).
	// A cell whose runs fall into separate modes is simulated ModeRuns
	// times, to pin the modes' odds.
	Runs int
	// Jitter is the most model time an answer comes back late, drawn
	// attempt by attempt, uniformly from 0 (default DefaultJitter): the
	// run-to-run timing of a harness, which decides whether retries that
	// come back together meet the cap's free slots.
	Jitter time.Duration
	// Cost is the harness's time per message (Params.HarnessCost), in
	// model time: each run draws its own log-uniformly from Cost/2 to
	// 2 × Cost, so the range covers a harness within a factor of two of
	// the figure given (default 0: none). Predict and Annotate set it from
	// the harness's CPU per request (HarnessCostAt).
	Cost time.Duration
	// VarySeeds draws the client's and the upstream's seeds run by run as
	// well: the range of the distribution rather than of the scenario's
	// seeds, which a run of the scenario reproduces (the mock draws by
	// item and attempt). Use it for a service that is not the seeded mock.
	VarySeeds bool
	// Draws are parameter sets to run over (a fitted model's parameters
	// drawn from their intervals): run i uses Draws[i mod len(Draws)], so
	// the range covers the parameters and the timing together; Runs is
	// raised to len(Draws). Each draw's Items is set to the cell's.
	Draws []Params
	// CountRuns is the number of runs of a cell whose failed items or
	// attempts vary (default CountRuns, for cells of up to countItems
	// items; at most Runs is none beyond them).
	CountRuns int
	// ModeGap is the share of the central wall time two sorted runs must
	// be apart to belong to separate modes (default 2 × the error budget
	// Predict and Annotate read from the scenario, else DefaultModeGap):
	// modes closer than that cannot be told apart by a check widened by
	// the budget, and are one.
	ModeGap float64
	// FirstSeed offsets the runs' seeds: run i draws its jitter (and, with
	// VarySeeds, its seeds) from FirstSeed + i + 1. The same Spread gives
	// the same range.
	FirstSeed uint64
	// Budget is the most attempts the runs of one cell's range may
	// simulate, counted as the central cell's attempts per run (default
	// DefaultBudget; below 0, no limit). A cell over it is run fewer
	// times, at least MinRuns, and its range states the lower coverage
	// that gives (Range); one found multi-modal is not run ModeRuns
	// times unless they fit. Cells of the sizes a machine runs are far
	// below it: it bounds what-ifs of millions of items.
	Budget int64
}

// Defaults of Spread.
const (
	// DefaultRuns simulated runs give a 90% prediction interval from
	// their smallest to their largest.
	DefaultRuns = 19
	// DefaultBudget simulated attempts per cell's range: 19 runs of cells
	// up to about 210,000 attempts (99 runs, for modes, up to about
	// 40,000), which every cell a machine runs is; a million-item what-if
	// gets 3 or 4 runs.
	DefaultBudget = 4_000_000
	// MinRuns is the fewest runs a range takes, whatever the budget: the
	// smallest to the largest of 3 holds one more run with probability
	// 50%.
	MinRuns = 3
	// ModeRuns simulated runs (the 5th smallest to the 5th largest: 90%)
	// pin a mode's odds to a standard error of at most 5 points.
	ModeRuns = 99
	// CountRuns simulated runs are made of a cell whose failed items or
	// attempts vary from run to run: their extremes hold one more run with
	// probability 398/400 = 99.5% each, so a compare holding a dozen
	// count rows of two runs to them fails about once in twenty on a
	// model that is right (at 90% each it would fail most of the time).
	// Cells of more than countItems items keep the runs they have, and
	// say the coverage those give.
	CountRuns  = 399
	countItems = 20_000
	// DefaultJitter is about the harness's own round trip per attempt at
	// the time scales timescale auto picks for cells that turn on one
	// (docs/notes/model.md).
	DefaultJitter = 2 * time.Millisecond
	// DefaultRequestCPU is the harness's CPU per request, client and mock
	// together, that Predict assumes (a run uses its own calibration's):
	// about what the calibration measures on the 2-core machine
	// (docs/notes/model.md).
	DefaultRequestCPU = 20 * time.Microsecond
	DefaultModeGap    = 0.02
	// minModeOdds is the smallest share of the runs a mode holds.
	minModeOdds = 0.01
	// coverage is the share of runs the simulated range aims to hold.
	coverage = 0.9
)

// HarnessCostAt is Spread.Cost for a harness that spends cpu (wall
// time) on each request, half on its way out and half on its way back,
// in a run at scale: cpu / 2 in model time.
func HarnessCostAt(cpu time.Duration, scale upstream.Scale) time.Duration {
	return scale.Model(cpu / 2)
}

// RunSpread is the spread of a measured cell's range, the one Annotate
// and the run's harness rule both use: the defaults, modes cut at twice
// budget (the run's error budget), and the harness cost of cpu (the run's
// calibrated CPU per request; 0: DefaultRequestCPU) at the cell's scale.
func RunSpread(budget float64, cpu time.Duration, scale upstream.Scale) Spread {
	sp := Spread{}.WithDefaults(budget)
	sp.Cost = HarnessCostAt(cmp.Or(cpu, DefaultRequestCPU), scale)
	return sp
}

// WithDefaults is sp with its zero fields set to their defaults, modes
// cut at twice budget (the run's error budget; 0: DefaultModeGap).
func (sp Spread) WithDefaults(budget float64) Spread {
	if sp.Runs == 0 {
		sp.Runs = DefaultRuns
	}
	if sp.Budget == 0 {
		sp.Budget = DefaultBudget
	}
	if sp.CountRuns == 0 {
		sp.CountRuns = CountRuns
	}
	sp.Runs = max(sp.Runs, len(sp.Draws))
	if sp.Jitter == 0 {
		sp.Jitter = DefaultJitter
	}
	if sp.ModeGap == 0 {
		sp.ModeGap = DefaultModeGap
		if budget > 0 {
			sp.ModeGap = 2 * budget
		}
	}
	return sp
}

func (sp Spread) validate() error {
	if sp.Runs < 0 || sp.Runs > 10_000 || sp.CountRuns < 0 || sp.CountRuns > 10_000 || sp.Jitter < 0 || sp.ModeGap < 0 || sp.Cost < 0 {
		return fmt.Errorf("spread: runs %d and count runs %d (want 0 to 10000), jitter %v, harness cost %v and mode gap %g must not be negative", sp.Runs, sp.CountRuns, sp.Jitter, sp.Cost, sp.ModeGap)
	}
	return nil
}

// Range is the range of cell (s, pool) of p whose central prediction
// (p simulated as is) is central, under sp:
//
//   - Simulated: n runs (sp.Runs; sp's zero fields take the defaults,
//     Spread.WithDefaults), each with every request leaving and every
//     answer returning uniformly 0 to sp.Jitter late, a fleet's first
//     attempts in an order of their own (Params.ReturnSpread), every
//     message passing a harness at a cost per message drawn from sp.Cost/2 to 2 ×
//     sp.Cost (Params.HarnessCost), and its own seeds or parameters, as sp
//     says. The range of the wall time and each latency percentile is the
//     k-th smallest to the k-th largest run, k = ⌊(n + 1) × 0.05⌋ (at
//     least 1), joined with the central prediction: for exchangeable runs
//     one more run falls inside with probability (n + 1 − 2k) / (n + 1),
//     whatever the distribution — 90% for n = 19 or 99 — and at least
//     that with ties: the Coverage stated. That of the failed items and of
//     the attempts is the smallest to the largest run (CountsCoverage (n −
//     1) / (n + 1)), and a cell whose counts vary is run sp.CountRuns
//     times (up to countItems items).
//   - Modes: the runs' wall times sorted and cut wherever two neighbours
//     are more than sp.ModeGap × central apart; two or more groups are
//     the modes, each with its median and its share of the runs as odds.
//     A cell found multi-modal in n < ModeRuns runs is run ModeRuns times.
//   - Budget: a cell whose central prediction made more attempts than
//     sp.Budget / n is run max(sp.Budget / attempts, MinRuns) times
//     instead, with the coverage that gives ((n − 1) / (n + 1): 50% for
//     3 runs), and is not re-run for its modes unless ModeRuns fit (the
//     count runs stop at countItems items already).
//   - Exact: a cell the closed formula covers (Exact), without Draws or a
//     harness cost, is not simulated: each attempt's delay (up to 2 ×
//     Jitter: its request and its answer) can only hold back the items
//     after it on its lane, so the wall time lies within central + ⌈n /
//     k⌉ × 2 × Jitter (k lanes), and each latency percentile within ±
//     ⌈conc / k⌉ × 2 × Jitter (conc requests in flight: the answers on an
//     item's lane while it waits; TestExactRangeBound checks both against
//     simulated runs); Coverage 1.
//
// Runs go in parallel, one per CPU.
func Range(ctx context.Context, p Params, s scenario.Strategy, pool int, central results.Cell, sp Spread) (*results.Interval, error) {
	if err := sp.validate(); err != nil {
		return nil, err
	}
	sp = sp.WithDefaults(0)
	if len(sp.Draws) == 0 && sp.Cost == 0 {
		if _, ok := Exact(p, s, pool); ok {
			return exactRange(p, s, pool, central, 2*sp.Jitter)
		}
	}
	runs, err := simulateRuns(ctx, p, s, pool, sp, 0, affordable(sp.Runs, central.Attempts, sp.Budget))
	if err != nil {
		return nil, err
	}
	iv := summarize(runs, central, sp)
	want := len(runs)
	if len(iv.Modes) > 1 && affordable(ModeRuns, central.Attempts, sp.Budget) == ModeRuns {
		want = max(want, ModeRuns)
	}
	if (iv.FailedLow != iv.FailedHigh || iv.AttemptsLow != iv.AttemptsHigh) && p.Items <= countItems {
		want = max(want, sp.CountRuns)
	}
	if want > len(runs) {
		more, err := simulateRuns(ctx, p, s, pool, sp, len(runs), want)
		if err != nil {
			return nil, err
		}
		iv = summarize(append(runs, more...), central, sp)
	}
	return iv, nil
}

// affordable is how many of want runs of a cell of attempts attempts the
// budget allows: all of them within it (or without one, budget < 0), else
// as many as fit, at least MinRuns (never more than want).
func affordable(want, attempts int, budget int64) int {
	if budget < 0 || attempts <= 0 || int64(want)*int64(attempts) <= budget {
		return want
	}
	return min(want, max(int(budget/int64(attempts)), MinRuns))
}

// simulateRuns simulates runs from to to (exclusive) of a cell.
func simulateRuns(ctx context.Context, p Params, s scenario.Strategy, pool int, sp Spread, from, to int) ([]results.Cell, error) {
	out := make([]results.Cell, to-from)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := from; i < to; i++ {
		g.Go(func() error {
			q := p
			if len(sp.Draws) > 0 {
				q = sp.Draws[i%len(sp.Draws)]
				q.Items = p.Items
			}
			seed := sp.FirstSeed + uint64(i) + 1
			q.ReturnSpread, q.SendSpread, q.SpreadSeed = sp.Jitter, sp.Jitter, seed
			q.HarnessCost = sp.cost(seed)
			if sp.VarySeeds {
				q.Seed, q.Upstream.Seed = mix(q.Seed, seed), mix(q.Upstream.Seed, seed)
			}
			c, err := Simulate(ctx, q, s, pool)
			out[i-from] = c
			return err
		})
	}
	return out, g.Wait()
}

// cost is run seed's harness cost: log-uniform from Cost/2 to 2 × Cost.
func (sp Spread) cost(seed uint64) time.Duration {
	if sp.Cost == 0 {
		return 0
	}
	u := float64(mix(0xc057, seed)>>11) / (1 << 53) // uniform in [0, 1)
	return time.Duration(float64(sp.Cost) * math.Exp2(2*u-1))
}

// mix derives run seed's seed from base (SplitMix64's finaliser).
func mix(base, seed uint64) uint64 {
	z := base + seed*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// orderK is the k of Range's k-th smallest to k-th largest of n runs, and
// the coverage it gives.
func orderK(n int) (k int, cov float64) {
	k = max(int(math.Floor(float64(n+1)*(1-coverage)/2)), 1)
	if n < 2*k {
		return 1, 0
	}
	return k, float64(n+1-2*k) / float64(n+1)
}

// summarize turns simulated runs into the interval Range describes.
func summarize(runs []results.Cell, central results.Cell, sp Spread) *results.Interval {
	n := len(runs)
	k, cov := orderK(n)
	span := func(k int, f func(c *results.Cell) float64) (lo, hi float64) {
		v := make([]float64, n)
		for i := range runs {
			v[i] = f(&runs[i])
		}
		slices.Sort(v)
		c := f(&central)
		return min(v[k-1], c), max(v[n-k], c)
	}
	iv := &results.Interval{Coverage: cov, Runs: n, JitterSeconds: sp.Jitter.Seconds(), HarnessCostSeconds: sp.Cost.Seconds()}
	iv.LowSeconds, iv.HighSeconds = span(k, func(c *results.Cell) float64 { return c.ModelWallSeconds })
	// The counts: the extremes of the runs (k = 1).
	iv.CountsCoverage = float64(n-1) / float64(n+1)
	fl, fh := span(1, func(c *results.Cell) float64 { return float64(c.Failed) })
	iv.FailedLow, iv.FailedHigh = int(fl), int(fh)
	al, ah := span(1, func(c *results.Cell) float64 { return float64(c.Attempts) })
	iv.AttemptsLow, iv.AttemptsHigh = int(al), int(ah)
	for _, pc := range percentiles {
		lo, hi := span(k, func(c *results.Cell) float64 { return *pc(&c.Latency) })
		*pc(&iv.LatencyLow), *pc(&iv.LatencyHigh) = lo, hi
	}
	walls := make([]float64, n)
	for i := range runs {
		walls[i] = runs[i].ModelWallSeconds
	}
	iv.Modes = modes(walls, sp.ModeGap*central.ModelWallSeconds)
	return iv
}

// modes cuts sorted wall times where neighbours are more than gap apart;
// one group is no modes. A group of under minModeOdds of the runs is no
// mode (a measurement there is not one the model expects; its runs still
// count in the range and in the others' odds).
func modes(walls []float64, gap float64) []results.Mode {
	slices.Sort(walls)
	var out []results.Mode
	start := 0
	for i := 1; i <= len(walls); i++ {
		if i < len(walls) && walls[i]-walls[i-1] <= gap {
			continue
		}
		g := walls[start:i]
		if float64(len(g)) < minModeOdds*float64(len(walls)) {
			start = i
			continue
		}
		out = append(out, results.Mode{
			WallSeconds: g[len(g)/2],
			LowSeconds:  g[0],
			HighSeconds: g[len(g)-1],
			Odds:        float64(len(g)) / float64(len(walls)),
		})
		start = i
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// exactRange is Range's bound for a cell the closed formula covers, each
// attempt up to delay late (its request and its answer up to Jitter each).
func exactRange(p Params, s scenario.Strategy, pool int, central results.Cell, delay time.Duration) (*results.Interval, error) {
	conc, err := Concurrency(s, pool, p.Items)
	if err != nil {
		return nil, err
	}
	k := lanes(conc, p.Upstream.WithDefaults().Cap)
	bound := float64((p.Items+k-1)/k) * delay.Seconds()
	iv := &results.Interval{
		Coverage:      1,
		JitterSeconds: delay.Seconds() / 2,
		LowSeconds:    central.ModelWallSeconds,
		HighSeconds:   central.ModelWallSeconds + bound,
		FailedLow:     central.Failed,
		FailedHigh:    central.Failed,
		AttemptsLow:   central.Attempts,
		AttemptsHigh:  central.Attempts,
	}
	// An item is in flight with at most conc−1 others, ⌈conc/k⌉ to a
	// lane: only their delays reach its latency.
	per := float64((conc+k-1)/k) * delay.Seconds()
	for _, pc := range percentiles {
		v := *pc(&central.Latency)
		*pc(&iv.LatencyLow), *pc(&iv.LatencyHigh) = max(v-per, 0), v+per
	}
	return iv, nil
}

// percentiles reach each field of a Percentiles.
var percentiles = []func(*results.Percentiles) *float64{
	func(p *results.Percentiles) *float64 { return &p.Mean },
	func(p *results.Percentiles) *float64 { return &p.P50 },
	func(p *results.Percentiles) *float64 { return &p.P90 },
	func(p *results.Percentiles) *float64 { return &p.P95 },
	func(p *results.Percentiles) *float64 { return &p.P99 },
	func(p *results.Percentiles) *float64 { return &p.Max },
}
