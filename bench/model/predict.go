package model

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// MaxItems bounds Options.Items. The simulation holds 56 bytes per item
// plus its queues: 10,000,000 items of a built-in scenario at pool 10,000
// peak at 0.02–2.2 GB and 0.01–7 s on the 2-core machine
// (scripts/predict-perf.sh).
const MaxItems = 10_000_000

// ErrInput is wrapped by Predict's errors about its input (the scenario or
// the options), as opposed to its work.
var ErrInput = errors.New("bad input")

// Options are what-if overrides for Predict. Zero values keep the
// scenario's own.
type Options struct {
	// Items replaces the scenario's item count.
	Items int
	// Pools replaces the sweep's pool sizes.
	Pools []int
	// Strategies replaces the sweep's strategies.
	Strategies []scenario.Strategy
	// Rates replaces the sweep's rates (for the rate strategy).
	Rates []strategy.ArrivalRate
	// Seed, when set, replaces both the scenario's seed and its upstream's.
	Seed *uint64
	// ConnectCost is the model time a new connection costs when the
	// scenario turns keep-alive off (default 0; see Params.ConnectCost).
	ConnectCost time.Duration
	// RoundTrip is the network round trip per attempt (default 0: the
	// loopback the harness runs on; see Params.RoundTrip).
	RoundTrip time.Duration
	// Spread says what each cell's range covers (see Range); its zero
	// value takes the defaults, with modes cut at twice the scenario's
	// error budget, and a harness that spends RequestCPU per request at
	// the scenario's time scale unless Spread.Cost says otherwise.
	Spread Spread
	// RequestCPU is the harness's CPU per request (wall time) the ranges
	// simulate at the scenario's time scale (HarnessCostAt; auto: real
	// time) when Spread.Cost is 0 (default DefaultRequestCPU).
	RequestCPU time.Duration
	// NoRange skips the ranges: the central predictions only.
	NoRange bool
	// Clients replaces the scenario's clients: a fleet of that many
	// independent clients, each with the cell's pool, sharing the
	// upstream's cap (see Params.Clients).
	Clients int
}

// Prediction is one predicted cell.
type Prediction struct {
	// Cell is the simulated cell, in model seconds, except WallSeconds:
	// the wall time a run at the scenario's time scale would take. Its
	// PredictedWallSeconds is its model wall time, and Interval its range
	// (nil with Options.NoRange).
	results.Cell
	// Exact is true when the closed formula applies (see Exact); the
	// simulation then reproduces it.
	Exact bool
}

// scenario.Retry is the policy the model applies: the very same code as the
// real clients.
var _ Policy = scenario.Retry{}

// ParamsFor derives the simulation parameters of a scenario with an
// embedded upstream, with bench's defaults applied (Scenario.WithDefaults:
// a 30s timeout, keep-alive on, 4 attempts, retry on every class, no
// backoff) and the scenario checked as bench checks it.
func ParamsFor(sc *scenario.Scenario) (Params, error) {
	if sc.Upstream == nil {
		return Params{}, fmt.Errorf("scenario %q has an external target: the model only knows the embedded mock (an upstream: block)", sc.Name)
	}
	s := sc.WithDefaults()
	if err := s.Validate(); err != nil {
		return Params{}, err
	}
	lat, err := upstream.ParseLatency(s.Upstream.Latency)
	if err != nil {
		return Params{}, fmt.Errorf("scenario %q: upstream: latency: %w", sc.Name, err)
	}
	return Params{
		Items:       s.Items,
		Upstream:    *s.Upstream,
		Latency:     lat,
		Timeout:     s.Client.Timeout.D(),
		KeepAlive:   s.Client.KeepAliveOn(),
		MaxAttempts: s.Client.Retry.MaxAttempts,
		Retry:       s.Client.Retry,
		Seed:        s.Seed,
		Adaptive:    s.Sweep.Adaptive,
		Pacing:      pacing(s),
		Clients:     s.ClientCount(),
	}, nil
}

// pacing is the scenario's rate block, its defaults filled (a grace of
// the client's timeout) when it has none.
func pacing(s scenario.Scenario) *strategy.RateConfig {
	r := strategy.RateConfig{}
	if s.Sweep.Rate != nil {
		r = *s.Sweep.Rate
	}
	r = r.WithDefaults(s.Client.Timeout.D())
	return &r
}

// Predict simulates every cell of a scenario's sweep (Sweep.Plan, the cell
// grid's one home: one per strategy × pool, one per rate for rate; serial,
// unbounded and adaptive once), with opts applied, in sweep order, one
// repeat.
// Every cell uses the same seeds (common random numbers), so differences
// between pools are not sampling noise.
func Predict(ctx context.Context, sc *scenario.Scenario, opts Options) ([]Prediction, error) {
	p, err := ParamsFor(sc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	if opts.Items != 0 {
		p.Items = opts.Items
	}
	if opts.Seed != nil {
		p.Seed, p.Upstream.Seed = *opts.Seed, *opts.Seed
	}
	if opts.Clients != 0 {
		p.Clients = opts.Clients
	}
	p.ConnectCost, p.RoundTrip = opts.ConnectCost, opts.RoundTrip
	w := sc.Sweep
	if opts.Strategies != nil {
		w.Strategies = opts.Strategies
	}
	if opts.Pools != nil {
		w.PoolSizes = opts.Pools
	}
	if opts.Rates != nil {
		w.Rates = opts.Rates
	}
	w.Repeats = 1
	scale := sc.Timescale.Fixed
	sp := opts.Spread.WithDefaults(sc.WithDefaults().ErrorBudget)
	if sp.Cost == 0 {
		sp.Cost = HarnessCostAt(cmp.Or(opts.RequestCPU, DefaultRequestCPU), scale)
	}
	for _, s := range w.Strategies {
		if s.Pooled() && len(w.PoolSizes) == 0 {
			return nil, fmt.Errorf("strategy %s needs pool sizes", s)
		}
		if s.Rated() && len(w.Rates) == 0 {
			return nil, fmt.Errorf("strategy %s needs rates", s)
		}
	}
	// Every strategy of fixed concurrency keeps a Limit of it in flight
	// (for a fleet, the same limit per client, capped by its items), so
	// cells of the same concurrency — pooled and workers at one pool,
	// serial and pool 1, unbounded and a pool of every item — are the
	// same simulation under another label: simulated once (src).
	plan := w.Plan()
	src := make([]int, len(plan))
	first := map[int]int{}
	for i, cell := range plan {
		src[i] = i
		conc, fixed, err := cell.Strategy.Kind().Fixed(cell.Pool, p.Items)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cellName(cell), err)
		}
		if j, ok := first[conc]; fixed && ok {
			src[i] = j
		} else if fixed {
			first[conc] = i
		}
	}
	paramsOf := func(cell scenario.CellPlan) Params {
		q := p
		q.Rate = cell.Rate
		return q
	}
	// The central cells in parallel, one per CPU; then each range (its
	// runs in parallel).
	out := make([]Prediction, len(plan))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, cell := range plan {
		if src[i] != i {
			continue
		}
		g.Go(func() error {
			c, exact, err := Central(gctx, paramsOf(cell), cell.Strategy, cell.Pool)
			if err != nil {
				return fmt.Errorf("%s: %w", cellName(cell), err)
			}
			c.WallSeconds = scale.WallSeconds(c.ModelWallSeconds)
			c.PredictedWallSeconds = c.ModelWallSeconds
			out[i] = Prediction{Cell: c, Exact: exact}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, cell := range plan {
		if src[i] != i || opts.NoRange {
			continue
		}
		iv, err := Range(ctx, paramsOf(cell), cell.Strategy, cell.Pool, out[i].Cell, sp)
		if err != nil {
			return nil, fmt.Errorf("%s: range: %w", cellName(cell), err)
		}
		out[i].Interval = iv
	}
	for i, cell := range plan {
		if src[i] != i {
			out[i] = relabel(out[src[i]], cell.Strategy, cell.Pool)
		}
	}
	return out, nil
}

// cellName names a planned cell in messages: "pooled pool 8", "rate 4/s".
func cellName(c scenario.CellPlan) string {
	if c.Strategy.Rated() {
		return fmt.Sprintf("%s %s", c.Strategy, c.Rate)
	}
	return fmt.Sprintf("%s pool %d", c.Strategy, c.Pool)
}

// relabel is prediction pr as cell (s, pool): a deep copy, so that no two
// predictions share a map, a counter or a range.
func relabel(pr Prediction, s scenario.Strategy, pool int) Prediction {
	c := pr.Cell
	c.Strategy, c.Pool = s, s.CellPool(pool)
	c.Outcomes = maps.Clone(c.Outcomes)
	c.Failures = maps.Clone(c.Failures)
	if c.Upstream != nil {
		up := *c.Upstream
		c.Upstream = &up
	}
	if c.Interval != nil {
		iv := *c.Interval
		iv.Modes = slices.Clone(iv.Modes)
		c.Interval = &iv
	}
	return Prediction{Cell: c, Exact: pr.Exact}
}

func (o Options) validate() error {
	if o.Items < 0 || o.Items > MaxItems {
		return fmt.Errorf("items %d is out of range: want 1 to %d", o.Items, MaxItems)
	}
	for _, p := range o.Pools {
		if p < 1 || p > scenario.MaxPool {
			return fmt.Errorf("pool size %d is out of range: want 1 to %d", p, scenario.MaxPool)
		}
	}
	for _, s := range o.Strategies {
		if s.Rank() == len(scenario.Strategies()) {
			return fmt.Errorf("unknown strategy %q: want %s", s, scenario.StrategyList())
		}
	}
	if err := checkClients(o.Clients); err != nil {
		return err
	}
	if o.ConnectCost < 0 || o.RoundTrip < 0 || o.RequestCPU < 0 {
		return fmt.Errorf("connection cost %v, round trip %v and request CPU %v must not be negative", o.ConnectCost, o.RoundTrip, o.RequestCPU)
	}
	return o.Spread.validate()
}

// Annotate sets every measured cell's PredictedWallSeconds (the model's
// wall time for the cell, in model seconds), its Interval (Range with
// RunSpread: the run's error budget, its calibration's CPU per request at
// the cell's time scale) and
// Efficiency (predicted / measured model wall time: 1 is a harness that
// adds nothing, 0.9 one that adds 11%), and r.Recommended from the
// measured cells (see Recommend).
//
// Cells of one strategy × pool share one prediction; interrupted cells get
// none. A scenario with an external target gets a recommendation but no
// predictions.
func Annotate(r *results.Results) error {
	ctx := context.Background() // a whole sweep is predicted in well under a second
	r.Recommended = r.Recommend()
	if r.Scenario.Upstream == nil {
		return nil
	}
	p, err := ParamsFor(&r.Scenario)
	if err != nil {
		return err
	}
	type key struct {
		s           scenario.Strategy
		pool, items int
		rate        strategy.ArrivalRate
		scale       upstream.Scale
	}
	type prediction struct {
		wall float64
		iv   *results.Interval
	}
	memo := map[key]prediction{}
	budget := r.Scenario.WithDefaults().ErrorBudget
	var cpu time.Duration
	if r.Calibration != nil {
		cpu = time.Duration(r.Calibration.CPU * 1e9)
	}
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Items == 0 || c.Interrupted || !slices.Contains(scenario.Strategies(), c.Strategy) {
			continue
		}
		k := key{s: c.Strategy, pool: c.Pool, items: c.Items, scale: c.Timescale}
		if c.Rate != nil {
			k.rate = *c.Rate
		}
		pr, ok := memo[k]
		if !ok {
			sp := RunSpread(budget, cpu, c.Timescale)
			q := p
			q.Items, q.Rate = c.Items, k.rate
			pc, _, err := Central(ctx, q, c.Strategy, c.Pool)
			if err != nil {
				return fmt.Errorf("predicting %s: %w", c.Label(), err)
			}
			iv, err := Range(ctx, q, c.Strategy, c.Pool, pc, sp)
			if err != nil {
				return fmt.Errorf("predicting the range of %s: %w", c.Label(), err)
			}
			pr = prediction{pc.ModelWallSeconds, iv}
			memo[k] = pr
		}
		wall := pr.wall
		c.PredictedWallSeconds, c.Interval = wall, pr.iv
		c.Efficiency = 0
		if c.ModelWallSeconds > 0 {
			c.Efficiency = wall / c.ModelWallSeconds
		}
	}
	return nil
}
