package sweep

import (
	"context"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
)

// TestAdaptiveAIMDAgainstRejectingMock: against the mock with a cap of 16
// that rejects the excess, AIMD's limit after warm-up stays within
// [8, 20] and its goodput is at least 90% of pooled(16)'s.
func TestAdaptiveAIMDAgainstRejectingMock(t *testing.T) {
	sc := mustParse(t, `
name: aimd
items: 2000
timescale: 0.05
upstream: {latency: 1s, cap: 16, overflow: reject}
client: {retry: {max_attempts: 1}}
sweep: {strategies: [adaptive, pooled], pool_sizes: [16], adaptive: {algorithm: aimd, initial: 1, backoff_ratio: 0.9}}
`)
	res, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ad, pooled := res.Cells[0], res.Cells[1]
	// Warm-up: slow start doubles the limit each round trip until a
	// round of rejects (at an ideal 1, 2, 4, 8, 16 all succeed and it
	// reaches 32), then the decreases that bring it back under the cap.
	lo, hi := limits(t, ad.Limit, ad.Limit.Recovered(), 0.9*ad.ModelWallSeconds)
	if lo < 8 || hi > 20 {
		t.Errorf("AIMD limit after warm-up within [%g, %g], want within [8, 20] (trace %v)", lo, hi, ad.Limit.Points)
	}
	if ad.Goodput < 0.9*pooled.Goodput {
		t.Errorf("AIMD goodput %.2f/s below 90%% of pooled(16)'s %.2f/s", ad.Goodput, pooled.Goodput)
	}
	checkBooks(t, ad)
}

// TestAdaptiveVegasAgainstQueueingMock: against the mock with a cap of 4
// that queues the excess, the delay-based limit settles within [3, 8].
func TestAdaptiveVegasAgainstQueueingMock(t *testing.T) {
	sc := mustParse(t, `
name: vegas
items: 240
timescale: 0.05
upstream: {latency: 1s, cap: 4}
sweep: {strategies: [adaptive], adaptive: {algorithm: vegas}}
`)
	res, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Cells[0]
	lo, hi := limits(t, c.Limit, 15, 0.9*c.ModelWallSeconds) // warm-up: a window of 10 items at limit 1
	if lo < 3 || hi > 8 {
		t.Errorf("Vegas limit after warm-up within [%g, %g], want within [3, 8] (trace %v)", lo, hi, c.Limit.Points)
	}
	checkBooks(t, c)
}

func checkBooks(t *testing.T, c results.Cell) {
	t.Helper()
	// A rate cell's deadline may cut an attempt short before it reached
	// the mock: the client counted it (canceled), the mock never saw it.
	unseen := int64(c.Attempts) - c.Upstream.Requests
	if c.Succeeded+c.Failed != c.Items || unseen < 0 || unseen > int64(c.Outcomes[scenario.OutcomeCanceled]) {
		t.Errorf("%s: %d+%d of %d items, %d attempts, mock saw %d", c.Label(), c.Succeeded, c.Failed, c.Items, c.Attempts, c.Upstream.Requests)
	}
}

// limits is tr's range between from and until, failing without a trace.
func limits(t *testing.T, tr *strategy.Trace, from, until float64) (lo, hi float64) {
	t.Helper()
	if tr == nil {
		t.Fatal("no limit trace in the cell")
	}
	lo, hi, ok := tr.Range(from, until)
	if !ok {
		t.Fatal("no limit point in the range")
	}
	return lo, hi
}
