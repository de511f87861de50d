package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
)

// verifyRuns prints measured against predicted wall time for every cell of
// the given runs and fails if a cell the harness did not flag is off by
// more than tolerance (0: its run's error budget).
func verifyRuns(w io.Writer, paths []string, tolerance float64) error {
	var bad []string
	flagged := 0
	for i, path := range paths {
		r, err := results.Read(path)
		if err != nil {
			return badInput(err)
		}
		checks, err := model.Verify(r, tolerance)
		if err != nil {
			return badInputf("%s: %w", path, err)
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (%s): measured vs predicted wall time, model seconds; a cell passes inside its range (one more simulated run falls inside with the probability predicted_coverage states, 90%% by default, the run's harness timing simulated; a bound where predicted_runs is 0) widened by its tolerance, and within its tolerance of one of its modes where it has several\n", r.Scenario.Name, path)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "cell\tmeasured s\tpredicted s\trange s\tdiff\tscale\tharness\tverdict\t")
		var reasons []string
		for _, c := range checks {
			verdict := fmt.Sprintf("ok (±%.1f%%)", 100*c.Tolerance)
			if c.Fit.Mode >= 0 {
				verdict = fmt.Sprintf("ok, %s", c.Where())
			}
			switch {
			case !c.Checked:
				flagged++
				verdict = "not checked: flagged †"
				reasons = append(reasons, fmt.Sprintf("  † %s: %s", c.Cell.Label(), c.Cell.Harness.Reason))
			case !c.OK:
				verdict = fmt.Sprintf("OFF (±%.1f%%)", 100*c.Tolerance)
				if c.Cell.Interval != nil {
					verdict = "OFF: " + c.Where()
				}
				bad = append(bad, fmt.Sprintf("%s %s %+.1f%%", r.Scenario.Name, c.Cell.Label(), 100*c.Diff))
			}
			harness := "-"
			if h := c.Cell.Harness; h != nil {
				harness = fmt.Sprintf("%.2f%%", 100*h.Error)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%+.2f%%\t%s\t%s\t%s\t\n", c.Cell.Label(), num(c.Cell.ModelWallSeconds), num(c.Cell.PredictedWallSeconds),
				rangeCell(c.Cell.Interval), 100*c.Diff, c.Cell.Timescale, harness, verdict)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, line := range reasons {
			fmt.Fprintln(w, line)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d cells fall outside their predicted range widened by their tolerance: %s", len(bad), strings.Join(bad, "; "))
	}
	msg := "every cell is inside its predicted range, widened by its tolerance"
	if flagged > 0 {
		msg = fmt.Sprintf("every cell the harness did not flag is inside its predicted range, widened by its tolerance; %d flagged cells not checked (†)", flagged)
	}
	fmt.Fprintf(w, "\n%s\n", msg)
	return nil
}
