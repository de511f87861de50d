package model

import (
	"fmt"
	"math"
	"time"

	"github.com/poolbench/poolbench/bench"
)

// Check compares one measured cell with the model's prediction.
type Check struct {
	// Cell is the measured cell, with PredictedWallSeconds and Efficiency
	// set.
	Cell bench.Cell
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
func Verify(r *bench.Results, tol float64, minScaled time.Duration) ([]Check, error) {
	cp := *r
	cp.Cells = append([]bench.Cell(nil), r.Cells...)
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
	scale := r.Scenario.Timescale
	if scale == 0 {
		scale = 1
	}
	var out []Check
	for _, c := range cp.Cells {
		if c.Interrupted || c.PredictedWallSeconds == 0 {
			continue
		}
		ch := Check{
			Cell:          c,
			ScaledLatency: scaledLatency(p, c, scale),
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
func scaledLatency(p Params, c bench.Cell, scale float64) time.Duration {
	conc, err := Concurrency(c.Strategy, c.Pool, c.Items)
	if err != nil {
		return 0
	}
	k := lanes(conc, p.Upstream.Cap)
	stretch := 1 + p.Upstream.Contention*float64(k-1)
	return time.Duration(float64(p.Latency.Mean()) * stretch * scale)
}
