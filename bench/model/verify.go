package model

import (
	"fmt"
	"math"
	"time"

	"github.com/poolbench/poolbench/bench/results"
)

// Check compares one measured cell with the model's prediction.
type Check struct {
	// Cell is the measured cell, with PredictedWallSeconds and Efficiency
	// set.
	Cell results.Cell
	// ScaledLatency is the cell's mean service time as run: the upstream's
	// mean latency stretched by contention at the cell's concurrency
	// (min(pool, cap) in flight), times the time scale. Below a few
	// milliseconds the harness's own per-request cost (timers, loopback
	// HTTP, scheduling on a shared machine) is a visible share of it, so
	// such cells are shown but not held to the tolerance.
	ScaledLatency time.Duration
	// Diff is (measured − predicted) / predicted model wall time.
	Diff float64
	// Checked says the cell is held to the tolerance (ScaledLatency at
	// least the minimum); OK that it is within it (always true unchecked).
	Checked, OK bool
}

// Verify predicts every cell of r (a copy: r is left as it is) and
// compares: a cell whose scaled latency is at least minScaled must be
// within tol (0.03 for 3%) of its prediction. Interrupted cells are
// skipped.
func Verify(r *results.Results, tol float64, minScaled time.Duration) ([]Check, error) {
	cp := *r
	cp.Cells = append([]results.Cell(nil), r.Cells...)
	if err := Annotate(&cp); err != nil {
		return nil, err
	}
	if r.Scenario.Upstream == nil {
		return nil, fmt.Errorf("scenario %q has an external target: nothing to verify against", r.Scenario.Name)
	}
	p, err := ParamsFor(&r.Scenario)
	if err != nil {
		return nil, err
	}
	var out []Check
	for _, c := range cp.Cells {
		if c.Interrupted || c.PredictedWallSeconds == 0 {
			continue
		}
		ch := Check{
			Cell:          c,
			ScaledLatency: scaledLatency(p, c),
			Diff:          (c.ModelWallSeconds - c.PredictedWallSeconds) / c.PredictedWallSeconds,
			OK:            true,
		}
		ch.Checked = ch.ScaledLatency >= minScaled
		if ch.Checked {
			ch.OK = math.Abs(ch.Diff) <= tol
		}
		out = append(out, ch)
	}
	return out, nil
}

// scaledLatency is c's mean service time as run (see Check.ScaledLatency).
func scaledLatency(p Params, c results.Cell) time.Duration {
	conc, err := Concurrency(c.Strategy, c.Pool, c.Items)
	if err != nil {
		return 0
	}
	k := lanes(conc, p.Upstream.Cap)
	stretch := 1 + p.Upstream.Contention*float64(k-1)
	return c.Timescale.Wall(time.Duration(float64(p.Latency.Mean()) * stretch))
}
