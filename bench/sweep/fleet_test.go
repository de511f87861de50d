package sweep

import (
	"testing"

	"github.com/poolbench/poolbench/bench/model"
)

// TestFleetInsideItsRange: a fleet's cells (4 clients, each with pool 2
// or 4, sharing a queue of 4 in service) measured against the mock lie in
// the range the model predicts for them (results.Interval: 19 simulated
// runs, answers up to 2 ms late), widened by what the harness holds
// itself to: the run's error budget (2%) and the share of the cell the
// harness measured it added (Harness.Error). A cell the harness flagged
// measured the machine, not the fleet, and is not held; with every cell
// flagged the test says so and skips.
//
// Why the budget: the range holds 90% of runs (one in ten falls outside
// by design), and the harness holds unflagged cells to it. The range
// covers the order in which the clients' first requests, sent at the
// same instant, reach the queue (the model shuffles them run by run):
// before it did, pool 4's range was 2.670–2.674 s and 7 runs at load 8–15
// read 2.638–2.693 s; pool 2's 2.669–2.679 s, 8 runs 2.635–2.765 s. With
// the shuffle, 2.624–2.725 s and 2.613–2.729 s.
func TestFleetInsideItsRange(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a fleet for about five seconds")
	}
	sc := mustParse(t, `
name: fleet
items: 32
clients: 4
seed: 2
upstream: {latency: "uniform(260ms,340ms)", cap: 4, error_rate: 0.1, seed: 2}
client:
  retry: {max_attempts: 3, backoff: exponential, base: 20ms, max: 80ms}
sweep: {strategies: [pooled], pool_sizes: [2, 4]}
`)
	res, err := Run(t.Context(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Annotate(res); err != nil {
		t.Fatal(err)
	}
	budget := sc.WithDefaults().ErrorBudget
	checked := 0
	for _, c := range res.Cells {
		if c.Bound() {
			t.Logf("%s flagged, not held: %s", c.Label(), c.Harness.Reason)
			continue
		}
		if c.Interval == nil || c.Harness == nil {
			t.Fatalf("%s: no predicted range or harness record", c.Label())
		}
		checked++
		lo, hi := c.LowSeconds*(1-budget), c.HighSeconds*(1+budget+c.Harness.Error)
		t.Logf("%s: %.4f s, range %.4f–%.4f s, held to %.4f–%.4f s (harness %.2f%%)", c.Label(), c.ModelWallSeconds, c.LowSeconds, c.HighSeconds, lo, hi, 100*c.Harness.Error)
		if c.ModelWallSeconds < lo || c.ModelWallSeconds > hi {
			t.Errorf("%s: measured %.4f s, outside its predicted range %.4f–%.4f s widened by the error budget %.0f%% and the harness's %.2f%%",
				c.Label(), c.ModelWallSeconds, c.LowSeconds, c.HighSeconds, 100*budget, 100*c.Harness.Error)
		}
	}
	if checked == 0 {
		t.Skip("the harness flagged every cell: the machine was too busy to measure the fleet")
	}
}
