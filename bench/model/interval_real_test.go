package model

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestHarnessCostSpreadsBurst: with a harness cost, a burst reaches the
// upstream one message at a time, and an answer sent during it waits its
// turn, its slot free upstream meanwhile. Three requests at once against
// a cap of 1 (10 ms, rejected, one attempt each): at once, two are
// rejected. With 6 ms per message the requests pass the harness at 6, 12
// and 18 ms; the first is served until 16 ms, the second rejected at 12
// ms (its answer passes at 24), the third takes the first's slot at 18 ms
// and is served until 28; the first's answer passes at 30, the third's
// at 36.
func TestHarnessCostSpreadsBurst(t *testing.T) {
	p := params(3, 10*time.Millisecond, upstream.Config{Cap: 1, Overflow: upstream.OverflowReject})
	p.MaxAttempts = 1
	for _, tc := range []struct {
		cost   time.Duration
		failed int
		wall   float64
	}{{0, 2, 0.010}, {6 * time.Millisecond, 1, 0.036}} {
		q := p
		q.HarnessCost = tc.cost
		c, err := Simulate(context.Background(), q, scenario.Pooled, 3)
		if err != nil {
			t.Fatal(err)
		}
		if c.Failed != tc.failed || math.Abs(c.ModelWallSeconds-tc.wall) > 1e-12 {
			t.Errorf("cost %v: %d failed in %g s, want %d in %g s", tc.cost, c.Failed, c.ModelWallSeconds, tc.failed, tc.wall)
		}
	}
}

// realRun is a cap-sweep cell measured by poolbench run on the 2-core
// machine (2026-12-05, nine runs at load 5–25, -keep-awake, nice -n
// -10), not flagged by the harness rule: its time scale, the run's
// calibrated CPU per request, and its counts.
type realRun struct {
	pool             int // 0: unbounded
	scale            upstream.Scale
	cpu              time.Duration
	failed, attempts int
}

var capSweepRuns = []realRun{
	{32, 1, 25156, 16, 486}, {64, 1, 25156, 48, 645}, {128, 1, 25156, 109, 825}, {256, 4, 25156, 219, 1115}, {512, 4, 25156, 337, 1504},
	{32, 0.625, 22212, 15, 486}, {64, 0.2, 22212, 47, 647}, {128, 0.8, 22212, 107, 826}, {512, 2, 22212, 336, 1506}, {0, 4, 22212, 337, 1505},
	{32, 0.625, 20629, 16, 487}, {64, 0.15625, 20629, 45, 645}, {128, 2, 20629, 110, 823}, {256, 1, 20629, 216, 1118}, {0, 4, 20629, 336, 1504},
	{32, 2, 22074, 15, 487}, {128, 0.25, 22074, 110, 810}, {512, 4, 22074, 336, 1506},
	{32, 0.625, 21864, 16, 487}, {64, 0.2, 21864, 46, 645}, {128, 2, 21864, 111, 819}, {256, 1, 21864, 217, 1117}, {0, 4, 21864, 337, 1506},
	{32, 0.8, 22305, 16, 486}, {64, 0.125, 22305, 46, 652}, {256, 4, 22305, 217, 1115}, {512, 4, 22305, 336, 1506}, {0, 4, 22305, 336, 1506},
	{32, 0.4, 16644, 16, 486}, {64, 0.15625, 16644, 51, 664}, {128, 1, 16644, 109, 828}, {256, 1, 16644, 216, 1114}, {0, 4, 16644, 337, 1505},
	{32, 0.625, 24606, 15, 486}, {128, 1, 24606, 109, 826}, {256, 1, 24606, 221, 1119}, {0, 1, 24606, 336, 1506},
	{32, 0.4, 17739, 16, 486}, {64, 4, 17739, 50, 649}, {128, 1, 17739, 111, 817}, {256, 0.4, 17739, 209, 1114}, {512, 1, 17739, 336, 1508}, {0, 4, 17739, 336, 1507},
}

// TestRangeHoldsRealRuns: the failed-item and attempt ranges Annotate
// gives (the run's CPU per request as the harness cost, at the cell's
// scale) hold real runs: pooled(64)'s failures, 45 to 53 in real runs,
// were outside the 48–49 that answers 0–2 ms late alone gave in every run
// at a fast time scale (8 of the first four runs' 36 counts outside those
// ranges), and must be inside. The ranges' 99.5% is of simulated runs;
// of these 86 real counts 82 fall inside (95%: pooled(128)'s attempts
// 810, 817 and 819 under the 820 of the central prediction, which no
// simulated run goes under, and pooled(256)'s 209 failed at 1:2.5 under
// 210). Fewer than 90% inside fails: the ranges no longer describe what
// a real harness does.
func TestRangeHoldsRealRuns(t *testing.T) {
	statistical(t, "simulates 17,000 cells")
	p, err := ParamsFor(load(t, "cap-sweep"))
	if err != nil {
		t.Fatal(err)
	}
	sp := Spread{}.WithDefaults(0.01)
	checks, misses := 0, 0
	for _, r := range capSweepRuns {
		s, pool := scenario.Pooled, r.pool
		if pool == 0 {
			s = scenario.Unbounded
		}
		c, _, err := Central(context.Background(), p, s, pool)
		if err != nil {
			t.Fatal(err)
		}
		sp := sp
		sp.Cost = HarnessCostAt(r.cpu, r.scale)
		iv, err := Range(context.Background(), p, s, pool, c, sp)
		if err != nil {
			t.Fatal(err)
		}
		inFailed := r.failed >= iv.FailedLow && r.failed <= iv.FailedHigh
		inAttempts := r.attempts >= iv.AttemptsLow && r.attempts <= iv.AttemptsHigh
		if pool == 64 && !inFailed {
			t.Errorf("pooled(64) at %v: %d failed outside %d–%d", r.scale, r.failed, iv.FailedLow, iv.FailedHigh)
		}
		for _, in := range []bool{inFailed, inAttempts} {
			checks++
			if !in {
				misses++
			}
		}
		if !inFailed || !inAttempts {
			t.Logf("%s(%d) at %v: failed %d (%d–%d), attempts %d (%d–%d)", s, pool, r.scale, r.failed, iv.FailedLow, iv.FailedHigh, r.attempts, iv.AttemptsLow, iv.AttemptsHigh)
		}
	}
	if float64(checks-misses) < 0.9*float64(checks) {
		t.Errorf("%d of %d real counts outside their ranges, want at least 90%% inside", misses, checks)
	}
	t.Logf("%d of %d real counts outside their ranges", misses, checks)
}

// TestCountsFamilyCoverage: compare holds every count row of two runs of
// a scenario to the model's ranges (results.ExplainedByRange) when they
// differ. With runs the model itself makes, so that the model is right,
// two runs of cap-sweep's six cells whose counts vary (twelve rows) must
// pass together about 95% of the time: at 90% per range they passed
// about 40% of the time. Allowed: up to 5% + 3 standard errors of 100
// pairs failing.
func TestCountsFamilyCoverage(t *testing.T) {
	statistical(t, "simulates 3,600 cells")
	p, err := ParamsFor(load(t, "cap-sweep"))
	if err != nil {
		t.Fatal(err)
	}
	sp := Spread{Cost: HarnessCostAt(DefaultRequestCPU, upstream.RealTime)}.WithDefaults(0.01)
	const pairs = 100
	failed := make([]bool, pairs)
	for _, pool := range []int{32, 64, 128, 256, 512, 0} {
		s := scenario.Pooled
		if pool == 0 {
			s = scenario.Unbounded
		}
		c, _, err := Central(context.Background(), p, s, pool)
		if err != nil {
			t.Fatal(err)
		}
		iv, err := Range(context.Background(), p, s, pool, c, sp)
		if err != nil {
			t.Fatal(err)
		}
		fresh := sp
		fresh.FirstSeed = 1_000_000
		runs, err := simulateRuns(context.Background(), p, s, pool, fresh, 0, 2*pairs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range pairs {
			a, b := runs[2*i], runs[2*i+1]
			a.Interval, b.Interval = iv, iv
			for _, m := range []string{"failed", "attempts"} {
				differ := a.Failed != b.Failed
				if m == "attempts" {
					differ = a.Attempts != b.Attempts
				}
				if ok, _ := results.ExplainedByRange(&a, &b, m, 0.01); differ && !ok {
					failed[i] = true
				}
			}
		}
	}
	n := 0
	for _, f := range failed {
		if f {
			n++
		}
	}
	if limit := 0.05 + 3*math.Sqrt(0.05*0.95/pairs); float64(n)/pairs > limit {
		t.Errorf("%d of %d pairs of simulated runs fail a count row, want at most %.0f%%", n, pairs, 100*limit)
	}
	t.Logf("%d of %d pairs of simulated runs fail a count row", n, pairs)
}
