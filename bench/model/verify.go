package model

import (
	"math"
	"time"

	"github.com/poolbench/poolbench/bench"
)

// Check compares one measured cell with the model's prediction.
type Check struct {
	// Cell is the measured cell, with PredictedWallSeconds and Efficiency
	// set.
	Cell bench.Cell
	// ScaledLatency is the cell's measured median item latency as run: the
	// model p50 times the time scale. Below a few milliseconds the
	// harness's own per-request cost (timers, loopback HTTP) is a visible
	// share of it, so such cells are shown but not held to the tolerance.
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
			ScaledLatency: time.Duration(c.Latency.P50 * scale * float64(time.Second)),
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
