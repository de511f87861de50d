package model

import (
	"context"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestAdaptiveAIMDUnderReject: against a cap of 16 that rejects the
// excess, AIMD's limit after warm-up stays within [8, 20] (its saw-tooth
// around the cap), and its goodput is at least 90% of pooled(16)'s.
func TestAdaptiveAIMDUnderReject(t *testing.T) {
	p := params(2000, 100*time.Millisecond, upstream.Config{Cap: 16, Overflow: upstream.OverflowReject})
	p.MaxAttempts, p.Retry = 1, nil
	ad, err := Simulate(context.Background(), p, scenario.Adaptive, 0)
	if err != nil {
		t.Fatal(err)
	}
	pooled, err := Simulate(context.Background(), p, scenario.Pooled, 16)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := limits(t, ad.Limit, 2, 0.9*ad.ModelWallSeconds)
	if lo < 8 || hi > 20 {
		t.Errorf("AIMD limit after warm-up in [%g, %g], want within [8, 20]", lo, hi)
	}
	if ad.Goodput < 0.9*pooled.Goodput {
		t.Errorf("AIMD goodput %.1f/s, below 90%% of pooled(16)'s %.1f/s", ad.Goodput, pooled.Goodput)
	}
	if ad.Limit.Mean < 12 || ad.Limit.Mean > 18 {
		t.Errorf("AIMD mean limit %.1f, want near the cap of 16", ad.Limit.Mean)
	}
	if ad.Outcomes["503"] == 0 {
		t.Error("AIMD never met the cap: its saw-tooth needs rejects")
	}
}

// TestAdaptiveVegasUnderQueue: against a cap of 4 that queues the
// excess, the delay-based limit settles within [3, 8], where pooled(64)
// would keep 60 waiting.
func TestAdaptiveVegasUnderQueue(t *testing.T) {
	p := params(2000, 100*time.Millisecond, upstream.Config{Cap: 4})
	p.Adaptive = &strategy.AdaptiveConfig{Algorithm: strategy.Vegas}
	c, err := Simulate(context.Background(), p, scenario.Adaptive, 0)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := limits(t, c.Limit, 5, 0.9*c.ModelWallSeconds)
	if lo < 3 || hi > 8 {
		t.Errorf("Vegas limit after warm-up in [%g, %g], want within [3, 8]", lo, hi)
	}
	// AIMD sees no reject from a queue and grows to its max: the reason
	// for a delay-based limit.
	p.Adaptive = nil
	c, err = Simulate(context.Background(), p, scenario.Adaptive, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Limit.Final < 100 {
		t.Errorf("AIMD against a queue ended at limit %d, want it to keep growing", c.Limit.Final)
	}
}

// TestTraceBounded: a long cell's trace keeps at most MaxTracePoints
// points, in time order, and its mean lies within its range.
func TestTraceBounded(t *testing.T) {
	p := params(50000, 10*time.Millisecond, upstream.Config{Cap: 16, Overflow: upstream.OverflowReject})
	p.MaxAttempts, p.Retry = 1, nil
	c, err := Simulate(context.Background(), p, scenario.Adaptive, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Limit
	if len(tr.Points) > strategy.MaxTracePoints+1 || len(tr.Points) < strategy.MaxTracePoints/4 {
		t.Errorf("%d points, want up to %d and not thinned to nothing", len(tr.Points), strategy.MaxTracePoints)
	}
	for i := 1; i < len(tr.Points); i++ {
		if tr.Points[i][0] < tr.Points[i-1][0] {
			t.Fatalf("points out of order at %d", i)
		}
	}
	if tr.Mean < float64(tr.Min) || tr.Mean > float64(tr.Max) || tr.Points[len(tr.Points)-1][0] > c.ModelWallSeconds {
		t.Errorf("mean %g outside [%d, %d] or points past the cell's end", tr.Mean, tr.Min, tr.Max)
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
