package sweep

import (
	"context"
	"math"
	"testing"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// runAndPredict runs sc and predicts it (no ranges): the measured and the
// model's cells, in plan order.
func runAndPredict(t *testing.T, src string) (measured []results.Cell, predicted []model.Prediction) {
	t.Helper()
	sc := mustParse(t, src)
	res, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	preds, err := model.Predict(context.Background(), sc, model.Options{NoRange: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(preds) != len(res.Cells) {
		t.Fatalf("%d cells measured, %d predicted", len(res.Cells), len(preds))
	}
	for i, c := range res.Cells {
		checkBooks(t, c)
		if c.Schedule == nil || c.Rate == nil || preds[i].Rate == nil || *c.Rate != *preds[i].Rate {
			t.Fatalf("%s: no schedule or rate, or not the predicted cell's", c.Label())
		}
	}
	return res.Cells, preds
}

// within fails unless got is within rel·want + abs of want.
func within(t *testing.T, what string, got, want, rel, abs float64) {
	t.Helper()
	if math.Abs(got-want) > rel*want+abs {
		t.Errorf("%s: measured %.4g, model %.4g (allowed ±%.2g%% ± %.2g)", what, got, want, 100*rel, abs)
	}
}

// TestRateStartRate: at 100/s asked, in real time, the items start at
// 100/s within 1%.
func TestRateStartRate(t *testing.T) {
	cells, _ := runAndPredict(t, `
name: start-rate
items: 200
upstream: {latency: 5ms}
client: {retry: {max_attempts: 1}}
sweep: {strategies: [rate], rates: [100/s]}
`)
	s := cells[0].Schedule
	t.Logf("started %d at %.4f/s, asked %g/s", s.Started, s.StartRate, s.IntendedRate)
	if s.Started != 200 || math.Abs(s.StartRate-100) > 1 {
		t.Errorf("%d started at %.3f/s, want 200 at 100/s within 1%%", s.Started, s.StartRate)
	}
	if s.IntendedRate != 100 {
		t.Errorf("intended rate %g, want 100", s.IntendedRate)
	}
}

// TestRateCoordinatedOmission: one item in flight at most (as wrk2 holds
// one connection) at 100/s, and an upstream that stalls one request in
// about 200 until the client's 500 ms timeout: while it stalls the items
// due start late, so their latency from the intended start is far above
// the latency measured from the actual start, as the model predicts.
func TestRateCoordinatedOmission(t *testing.T) {
	cells, preds := runAndPredict(t, `
name: stall
items: 1000
timescale: 0.5
seed: 3
upstream: {latency: 2ms, stall_rate: 0.005, seed: 3}
client: {timeout: 500ms, retry: {max_attempts: 1}}
sweep: {strategies: [rate], rates: [100/s], rate: {max_in_flight: 1}}
`)
	c, p := cells[0], preds[0].Cell
	if c.Upstream.Stalled != p.Upstream.Stalled || c.Upstream.Stalled == 0 {
		t.Fatalf("%d stalled, the model %d: the draws should be the same", c.Upstream.Stalled, p.Upstream.Stalled)
	}
	t.Logf("%d stalled; p99 %.4g s from the intended start (model %.4g), %.4g s uncorrected (model %.4g); %d late (model %d), p99 lateness %.4g s (model %.4g)",
		c.Upstream.Stalled, c.Latency.P99, p.Latency.P99, c.Schedule.Uncorrected.P99, p.Schedule.Uncorrected.P99, c.Schedule.Late, p.Schedule.Late, c.Schedule.Lateness.P99, p.Schedule.Lateness.P99)
	if c.Latency.P99 < 10*c.Schedule.Uncorrected.P99 {
		t.Errorf("p99 %.3g s from the intended start, %.3g s uncorrected: want it far above", c.Latency.P99, c.Schedule.Uncorrected.P99)
	}
	if testing.Short() {
		return // the model's figures: in the full run (timing, sensitive to a loaded machine)
	}
	within(t, "p99 from the intended start", c.Latency.P99, p.Latency.P99, 0.1, 0.01)
	// The stalls make at least the model's items late, less 15%. A loaded
	// machine adds its own: an item whose start the harness wakes for more
	// than LateTolerance (1 ms wall) late counts too, whatever the scale
	// (478 against the model's 372 at 1:5 in a clean-clone CI run, 627
	// beside the model package's tests), so above the model the count is
	// held loosely, to twice the model's and 20: a pacer that starts most
	// items late fails it. How late the latest items were (the p99 of
	// every item's lateness) is the stalls', and held within 10%.
	late, want := float64(c.Schedule.Late), float64(p.Schedule.Late)
	if late < 0.85*want-5 || late > 2*want+20 {
		t.Errorf("items late: measured %.0f, model %.0f (allowed %.0f to %.0f)", late, want, 0.85*want-5, 2*want+20)
	}
	within(t, "p99 lateness", c.Schedule.Lateness.P99, p.Schedule.Lateness.P99, 0.1, 0.01)
}

// TestRateModelVsMeasured: arrivals at 20/s, 40/s and 80/s against a cap
// of 4 and 80–120 ms (capacity 40/s), queueing and rejecting the excess:
// the measured cells agree with the model's below, at and above
// capacity. (A fixed 100 ms would make 40/s a knife's edge: every arrival
// due the instant a slot frees, the harness's tenth of a millisecond
// deciding which comes first; the spread of service times, drawn alike by
// the mock and the model, decides instead.)
func TestRateModelVsMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 12 s of timing, sensitive to a loaded machine")
	}
	judged := 0
	for _, overflow := range []string{"queue", "reject"} {
		cells, preds := runAndPredict(t, `
name: capacity
items: 120
timescale: 1
seed: 7
upstream: {latency: "uniform(80ms,120ms)", cap: 4, overflow: `+overflow+`, seed: 7}
client: {retry: {max_attempts: 1}}
sweep: {strategies: [rate], rates: [20/s, 40/s, 80/s], parallel: 3}
`)
		for i, c := range cells {
			p := preds[i].Cell
			name := overflow + " " + c.Label()
			t.Logf("%s: wall %.4g s (model %.4g), goodput %.4g/s (%.4g), p50 %.4g s (%.4g), p99 %.4g s (%.4g), rejected %d (%d), late %d (%d)", name,
				c.ModelWallSeconds, p.ModelWallSeconds, c.Goodput, p.Goodput, c.Latency.P50, p.Latency.P50, c.Latency.P99, p.Latency.P99,
				c.Upstream.Rejected, p.Upstream.Rejected, c.Schedule.Late, p.Schedule.Late)
			if c.Bound() {
				// The harness's own rule: a flagged cell measured poolbench,
				// and is not held to the model.
				t.Logf("%s: not judged, the harness flagged it: %s", name, c.Harness.Reason)
				continue
			}
			judged++
			within(t, name+" wall", c.ModelWallSeconds, p.ModelWallSeconds, 0.03, 0)
			// Rejections turn on which arrival meets a free slot first: the
			// count may differ by a tenth of the items (below), and goodput
			// (the items not rejected over the wall time) by the items that
			// difference takes or gives, on top of its own 3%.
			rejectSlack := 0.1 * float64(c.Items)
			moreRejected := math.Abs(float64(c.Upstream.Rejected - p.Upstream.Rejected))
			within(t, name+" goodput", c.Goodput, p.Goodput, 0.03, moreRejected/p.ModelWallSeconds)
			within(t, name+" start rate", c.Schedule.StartRate, p.Schedule.StartRate, 0.01, 0)
			within(t, name+" rejected", float64(c.Upstream.Rejected), float64(p.Upstream.Rejected), 0, rejectSlack)
			if overflow == "queue" {
				within(t, name+" p50", c.Latency.P50, p.Latency.P50, 0.05, 0.005)
				within(t, name+" p99", c.Latency.P99, p.Latency.P99, 0.1, 0.01)
			}
		}
	}
	if judged == 0 {
		t.Skip("the harness flagged every cell (a busy machine): nothing to hold to the model")
	}
}

// TestRateDeadline: at 200/s against a capacity of 100/s with a grace of
// 1 s the cell stops at 3 s: the items unfinished then fail as
// time-limit, not canceled, about as many as the model says.
func TestRateDeadline(t *testing.T) {
	cells, preds := runAndPredict(t, `
name: deadline
items: 400
timescale: 0.5
upstream: {latency: 50ms, cap: 5}
client: {retry: {max_attempts: 1}}
sweep: {strategies: [rate], rates: [200/s], rate: {grace: 1s}}
`)
	c, p := cells[0], preds[0].Cell
	cut := c.Failures[scenario.OutcomeTimeLimit]
	if c.Interrupted || cut == 0 || cut != c.Failed {
		t.Errorf("interrupted %v, failures %v: want every failed item time-limit", c.Interrupted, c.Failures)
	}
	within(t, "wall", c.ModelWallSeconds, 3, 0.02, 0)
	if !testing.Short() { // the model's count: in the full run (timing, sensitive to a loaded machine)
		within(t, "time-limit items", float64(cut), float64(p.Failures[scenario.OutcomeTimeLimit]), 0.1, 5)
	}
}
