package model

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/poolbench/poolbench/bench"
	"github.com/poolbench/poolbench/mocksrv"
)

// Options are what-if overrides for Predict. Zero values keep the
// scenario's own.
type Options struct {
	// Items replaces the scenario's item count.
	Items int
	// Pools replaces the sweep's pool sizes.
	Pools []int
	// Strategies replaces the sweep's strategies.
	Strategies []bench.Strategy
	// Seed, when set, replaces both the scenario's seed and its upstream's.
	Seed *uint64
	// ConnectCost is the model time a new connection costs when the
	// scenario turns keep-alive off (default 0; see Params.ConnectCost).
	ConnectCost time.Duration
}

// Prediction is one predicted cell.
type Prediction struct {
	// Cell is the simulated cell, in model seconds, except WallSeconds:
	// the wall time a run at the scenario's time scale would take.
	bench.Cell
	// Exact is true when the closed formula applies (see Exact); the
	// simulation then reproduces it.
	Exact bool
}

// ParamsFor derives the simulation parameters of a scenario with an
// embedded upstream, applying the documented defaults of bench.Client
// (timeout 30s, keep-alive on, 4 attempts).
func ParamsFor(sc *bench.Scenario) (Params, error) {
	if sc.Upstream == nil {
		return Params{}, fmt.Errorf("scenario %q has an external target: the model only knows the embedded mock (an upstream: block)", sc.Name)
	}
	up := sc.Upstream.WithDefaults()
	if err := up.Validate(); err != nil {
		return Params{}, fmt.Errorf("scenario %q: upstream: %w", sc.Name, err)
	}
	lat, err := mocksrv.ParseLatency(up.Latency)
	if err != nil {
		return Params{}, fmt.Errorf("scenario %q: upstream: latency: %w", sc.Name, err)
	}
	policy, ok := any(sc.Client.Retry).(Policy)
	if !ok {
		return Params{}, errors.New("model: bench.Retry does not implement the retry policy (Retries, Backoff)")
	}
	p := Params{
		Items:       sc.Items,
		Upstream:    up,
		Latency:     lat,
		Timeout:     sc.Client.Timeout.D(),
		KeepAlive:   sc.Client.KeepAlive == nil || *sc.Client.KeepAlive,
		MaxAttempts: sc.Client.Retry.MaxAttempts,
		Retry:       policy,
		Seed:        sc.Seed,
	}
	if p.Timeout == 0 {
		p.Timeout = 30 * time.Second
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 4
	}
	return p, nil
}

// Predict simulates every cell of a scenario's sweep (one per strategy ×
// pool; serial and unbounded once), with opts applied, in sweep order.
// Every cell uses the same seeds (common random numbers), so differences
// between pools are not sampling noise.
func Predict(ctx context.Context, sc *bench.Scenario, opts Options) ([]Prediction, error) {
	p, err := ParamsFor(sc)
	if err != nil {
		return nil, err
	}
	if opts.Items != 0 {
		p.Items = opts.Items
	}
	if opts.Seed != nil {
		p.Seed, p.Upstream.Seed = *opts.Seed, *opts.Seed
	}
	p.ConnectCost = opts.ConnectCost
	strategies, pools := sc.Sweep.Strategies, sc.Sweep.PoolSizes
	if opts.Strategies != nil {
		strategies = opts.Strategies
	}
	if opts.Pools != nil {
		pools = opts.Pools
	}
	scale := sc.Timescale
	if scale == 0 {
		scale = 1
	}
	var out []Prediction
	for _, s := range strategies {
		ps := pools
		if s == bench.Serial || s == bench.Unbounded {
			ps = []int{CellPool(s, 0)}
		} else if len(ps) == 0 {
			return nil, fmt.Errorf("strategy %s needs pool sizes", s)
		}
		for _, pool := range ps {
			c, err := Simulate(ctx, p, s, pool)
			if err != nil {
				return nil, fmt.Errorf("%s pool %d: %w", s, pool, err)
			}
			c.WallSeconds = c.ModelWallSeconds * scale
			_, exact := Exact(p, s, pool)
			out = append(out, Prediction{Cell: c, Exact: exact})
		}
	}
	return out, nil
}

// Annotate sets every measured cell's PredictedWallSeconds (the model's
// wall time for the cell, in model seconds) and Efficiency (predicted /
// measured model wall time: 1 is a harness that adds nothing, 0.9 one that
// adds 11%), and r.Recommended from the measured cells (see Recommend).
//
// Cells of one strategy × pool share one prediction; interrupted cells get
// none. A scenario with an external target gets a recommendation but no
// predictions.
func Annotate(r *bench.Results) error {
	ctx := context.Background() // a whole sweep is predicted in well under a second
	r.Recommended = Recommend(r.Cells)
	if r.Scenario.Upstream == nil {
		return nil
	}
	p, err := ParamsFor(&r.Scenario)
	if err != nil {
		return err
	}
	type key struct {
		s           bench.Strategy
		pool, items int
	}
	memo := map[key]float64{}
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Items == 0 || c.Interrupted || !slices.Contains(bench.Strategies, c.Strategy) {
			continue
		}
		k := key{c.Strategy, c.Pool, c.Items}
		wall, ok := memo[k]
		if !ok {
			q := p
			q.Items = c.Items
			pc, err := Simulate(ctx, q, c.Strategy, c.Pool)
			if err != nil {
				return fmt.Errorf("predicting %s: %w", c.Label(), err)
			}
			wall = pc.ModelWallSeconds
			memo[k] = wall
		}
		c.PredictedWallSeconds = wall
		c.Efficiency = 0
		if c.ModelWallSeconds > 0 {
			c.Efficiency = wall / c.ModelWallSeconds
		}
	}
	return nil
}
