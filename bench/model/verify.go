package model

import (
	"fmt"
	"math"

	"github.com/poolbench/poolbench/bench/results"
)

// Check compares one measured cell with the model's prediction.
type Check struct {
	// Cell is the measured cell, with PredictedWallSeconds and Efficiency
	// set.
	Cell results.Cell
	// Diff is (measured − predicted) / predicted model wall time.
	Diff float64
	// Tolerance is what the cell is held to: the tolerance given, or the
	// run's error budget.
	Tolerance float64
	// Checked says the cell is held to it: false for a cell the harness
	// flagged (Cell.Harness.Reason says why; its figures measured the
	// harness, or turn on a few milliseconds, and are not the model's to
	// match). OK says it is within (always true unchecked).
	Checked, OK bool
	// Fit places the measured wall time against the predicted range
	// (Cell.Interval) widened by Tolerance, and says which mode it fell in.
	Fit results.Fit
}

// Where says where the measurement fell against the range, in words
// ("" without a range).
func (c Check) Where() string {
	if c.Cell.Interval == nil {
		return ""
	}
	return c.Cell.Interval.Describe(c.Cell.ModelWallSeconds, c.Tolerance)
}

// Verify predicts every cell of r (a copy: r is left as it is) and
// compares: a cell the harness did not flag must be inside its predicted
// range widened by tol, and within tol of one of its modes where it has
// several (results.Interval.Explain; 0.03 for 3%; 0 holds each cell to
// the run's error budget, the share of its wall time the harness was
// allowed). Interrupted cells are skipped.
func Verify(r *results.Results, tol float64) ([]Check, error) {
	if r.Scenario.Upstream == nil {
		return nil, fmt.Errorf("scenario %q has an external target: nothing to verify against", r.Scenario.Name)
	}
	cp := *r
	cp.Cells = append([]results.Cell(nil), r.Cells...)
	if err := Annotate(&cp); err != nil {
		return nil, err
	}
	if tol == 0 {
		tol = r.Scenario.WithDefaults().ErrorBudget
	}
	var out []Check
	for _, c := range cp.Cells {
		if c.Interrupted || c.PredictedWallSeconds == 0 {
			continue
		}
		ch := Check{
			Cell:      c,
			Diff:      (c.ModelWallSeconds - c.PredictedWallSeconds) / c.PredictedWallSeconds,
			Tolerance: tol,
			OK:        true,
		}
		ch.Checked = !c.Bound()
		if c.Interval != nil {
			ch.Fit = c.Interval.Explain(c.ModelWallSeconds, tol)
		} else {
			ch.Fit = results.Fit{OK: math.Abs(ch.Diff) <= tol, Mode: -1}
		}
		if ch.Checked {
			ch.OK = ch.Fit.OK
		}
		out = append(out, ch)
	}
	return out, nil
}
