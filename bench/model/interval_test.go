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

func TestOrderK(t *testing.T) {
	for _, tc := range []struct {
		n, k int
		cov  float64
	}{{19, 1, 0.9}, {39, 2, 0.9}, {99, 5, 0.9}, {9, 1, 0.8}, {1, 1, 0}} {
		k, cov := orderK(tc.n)
		if k != tc.k || math.Abs(cov-tc.cov) > 1e-12 {
			t.Errorf("orderK(%d) = %d, %g; want %d, %g", tc.n, k, cov, tc.k, tc.cov)
		}
	}
}

func TestModes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		walls []float64
		gap   float64
		want  []results.Mode
	}{
		{"one group", []float64{5.2, 5.21, 5.25, 5.22}, 0.1, nil},
		{"two", []float64{4.21, 3.22, 3.21, 4.2, 3.22}, 0.1, []results.Mode{
			{WallSeconds: 3.22, LowSeconds: 3.21, HighSeconds: 3.22, Odds: 0.6},
			{WallSeconds: 4.21, LowSeconds: 4.2, HighSeconds: 4.21, Odds: 0.4},
		}},
		{"a gap at the threshold is one mode", []float64{1, 1.5}, 0.5, nil},
	} {
		got := modes(tc.walls, tc.gap)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d modes %+v, want %d", tc.name, len(got), got, len(tc.want))
		}
		for i := range got {
			g, w := got[i], tc.want[i]
			if math.Abs(g.WallSeconds-w.WallSeconds) > 1e-9 || g.LowSeconds != w.LowSeconds || g.HighSeconds != w.HighSeconds || math.Abs(g.Odds-w.Odds) > 1e-9 {
				t.Errorf("%s: mode %d = %+v, want %+v", tc.name, i, g, w)
			}
		}
	}
}

// rangeCell is a cell's central prediction and its range.
func rangeCell(t *testing.T, p Params, s scenario.Strategy, pool int, sp Spread) (results.Cell, *results.Interval) {
	t.Helper()
	c, err := Simulate(context.Background(), p, s, pool)
	if err != nil {
		t.Fatal(err)
	}
	iv, err := Range(context.Background(), p, s, pool, c, sp)
	if err != nil {
		t.Fatal(err)
	}
	return c, iv
}

// within3SE fails unless share, measured in n trials, is within three
// standard errors of p.
func within3SE(t *testing.T, what string, share, p float64, n int) {
	t.Helper()
	se := math.Sqrt(p * (1 - p) / float64(n))
	if math.Abs(share-p) > 3*se {
		t.Errorf("%s: %.3f of %d, want %.3f ± %.3f (3 standard errors)", what, share, n, p, 3*se)
	} else {
		t.Logf("%s: %.3f of %d (stated %.3f ± %.3f)", what, share, n, p, 3*se)
	}
}

// TestRangeCoverage: over many seeded ranges, one more run falls inside
// as often as the range says (90%), within sampling error — neither
// wider (more) nor narrower (less). The cell is cap-sweep's pooled(16)
// over seeds, a continuous spread: no ties to raise the coverage.
func TestRangeCoverage(t *testing.T) {
	statistical(t, "simulates 4,000 cells")
	p, err := ParamsFor(load(t, "cap-sweep"))
	if err != nil {
		t.Fatal(err)
	}
	p.Items = 100
	trials := 200
	inside, failedInside, attemptsInside, p50Inside, p99Inside := 0, 0, 0, 0, 0
	for m := range trials {
		// ModeGap 1 and CountRuns 19: no modes, no more runs for the
		// counts, so every range is of 19 runs (more would change nothing
		// of the rule, whose coverage follows); a harness cost as a
		// run at real time has, drawn run by run as well.
		sp := Spread{VarySeeds: true, FirstSeed: uint64(m) * 1000, ModeGap: 1, CountRuns: DefaultRuns, Cost: HarnessCostAt(DefaultRequestCPU, upstream.RealTime)}.WithDefaults(0.01)
		// The central prediction from one seed of the same distribution.
		q := p
		q.Seed, q.Upstream.Seed = mix(p.Seed, sp.FirstSeed+900), mix(p.Upstream.Seed, sp.FirstSeed+900)
		_, iv := rangeCell(t, q, scenario.Pooled, 8, sp)
		if iv.Coverage != 0.9 {
			t.Fatalf("coverage %g, want 0.9", iv.Coverage)
		}
		fresh, err := simulateRuns(context.Background(), q, scenario.Pooled, 8, sp, 500, 501)
		if err != nil {
			t.Fatal(err)
		}
		w := fresh[0].ModelWallSeconds
		if w >= iv.LowSeconds && w <= iv.HighSeconds {
			inside++
		}
		if f := fresh[0].Failed; f >= iv.FailedLow && f <= iv.FailedHigh {
			failedInside++
		}
		if a := fresh[0].Attempts; a >= iv.AttemptsLow && a <= iv.AttemptsHigh {
			attemptsInside++
		}
		if v := fresh[0].Latency.P99; v >= iv.LatencyLow.P99 && v <= iv.LatencyHigh.P99 {
			p99Inside++
		}
		if v := fresh[0].Latency.P50; v >= iv.LatencyLow.P50 && v <= iv.LatencyHigh.P50 {
			p50Inside++
		}
	}
	// The central prediction joins the range, which can only raise the
	// coverage: the measured share may sit a little above 0.9, never
	// below it.
	within3SE(t, "runs inside the wall time's range", float64(inside)/float64(trials), 0.9, trials)
	// Counts and histogram percentiles tie between runs, which raises
	// their coverage: at least 0.9, never below.
	for _, x := range []struct {
		what string
		n    int
	}{{"failed items", failedInside}, {"attempts", attemptsInside}, {"p50", p50Inside}, {"p99", p99Inside}} {
		if share := float64(x.n) / float64(trials); share < 0.9-3*math.Sqrt(0.09/float64(trials)) {
			t.Errorf("runs inside the %s range: %.3f, want at least 0.9 (ties raise it)", x.what, share)
		} else {
			t.Logf("runs inside the %s range: %.3f (at least 0.9)", x.what, share)
		}
	}
}

// TestRangeBimodal: cap-sweep's pooled(256) reports two modes, 3.22 s and
// 4.21 s (a Retry-After wave more), whose odds match the share of fresh
// simulated runs in each, within sampling error.
func TestRangeBimodal(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 300 cells")
	}
	p, err := ParamsFor(load(t, "cap-sweep"))
	if err != nil {
		t.Fatal(err)
	}
	sp := Spread{}.WithDefaults(0.01)
	c, iv := rangeCell(t, p, scenario.Pooled, 256, sp)
	if len(iv.Modes) != 2 || iv.Runs != CountRuns {
		t.Fatalf("modes %+v in %d runs, want 2 modes in %d runs (its counts vary)", iv.Modes, iv.Runs, CountRuns)
	}
	lo, hi := iv.Modes[0], iv.Modes[1]
	if math.Abs(lo.WallSeconds-3.22) > 0.02 || math.Abs(hi.WallSeconds-4.21) > 0.02 || iv.LowSeconds > c.ModelWallSeconds {
		t.Fatalf("modes %+v, want about 3.22 s and 4.21 s", iv.Modes)
	}
	fresh := 200
	sp.FirstSeed = 10_000
	runs, err := simulateRuns(context.Background(), p, scenario.Pooled, 256, sp, 0, fresh)
	if err != nil {
		t.Fatal(err)
	}
	inHigh, inside := 0, 0
	for _, r := range runs {
		if iv.Explain(r.ModelWallSeconds, 0.01).Mode == 1 {
			inHigh++
		}
		if iv.Explain(r.ModelWallSeconds, 0).OK {
			inside++
		}
	}
	// The 399 runs' range (20th smallest to 20th largest) and its modes,
	// not widened, hold a fresh run at least 90% of the time.
	if share := float64(inside) / float64(fresh); share < iv.Coverage-3*math.Sqrt(0.09/float64(fresh)) {
		t.Errorf("fresh runs inside the range and a mode: %.3f of %d, want at least %.2f", share, fresh, iv.Coverage)
	} else {
		t.Logf("fresh runs inside the range and a mode: %.3f of %d (stated at least %.2f)", share, fresh, iv.Coverage)
	}
	// Both the odds (399 runs) and the share (fresh runs) are estimates.
	share, odds := float64(inHigh)/float64(fresh), hi.Odds
	se := math.Sqrt(odds * (1 - odds) * (1/float64(iv.Runs) + 1/float64(fresh)))
	if math.Abs(share-odds) > 3*se {
		t.Errorf("the slower mode holds %.3f of %d fresh runs, its odds say %.3f ± %.3f", share, fresh, odds, 3*se)
	}
	t.Logf("modes %+v; the slower holds %.3f of %d fresh runs", iv.Modes, share, fresh)
}

// TestExactRangeBound: a cell the closed formula covers is not simulated,
// and every simulated run with answers up to the jitter late falls within
// its bound; the seed's cells stay within 3%.
func TestExactRangeBound(t *testing.T) {
	jitter := 2 * time.Millisecond
	for _, tc := range []struct {
		s    scenario.Strategy
		pool int
	}{{scenario.Serial, 1}, {scenario.Pooled, 2}, {scenario.Pooled, 3}, {scenario.Pooled, 8}, {scenario.Unbounded, 0}} {
		p := params(101, 10*time.Millisecond, upstream.Config{Cap: 3, Contention: 0.04})
		c, iv := rangeCell(t, p, tc.s, tc.pool, Spread{Jitter: jitter})
		if iv.Runs != 0 || iv.Coverage != 1 || iv.LowSeconds != c.ModelWallSeconds {
			t.Fatalf("%s(%d): %+v, want a bound from the central %g", tc.s, tc.pool, iv, c.ModelWallSeconds)
		}
		runs, err := simulateRuns(context.Background(), p, tc.s, tc.pool, Spread{Jitter: jitter}, 0, 30)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.ModelWallSeconds < iv.LowSeconds-1e-9 || r.ModelWallSeconds > iv.HighSeconds+1e-9 {
				t.Errorf("%s(%d): a run took %g, outside the bound %g–%g", tc.s, tc.pool, r.ModelWallSeconds, iv.LowSeconds, iv.HighSeconds)
			}
			for i, pc := range percentiles {
				if v, lo, hi := *pc(&r.Latency), *pc(&iv.LatencyLow), *pc(&iv.LatencyHigh); v < lo-1e-9 || v > hi+1e-9 {
					t.Errorf("%s(%d): latency percentile %d %g outside %g–%g", tc.s, tc.pool, i, v, lo, hi)
				}
			}
			if r.Attempts != iv.AttemptsLow || r.Failed != iv.FailedLow {
				t.Errorf("%s(%d): %d attempts, %d failed; want %d, %d", tc.s, tc.pool, r.Attempts, r.Failed, iv.AttemptsLow, iv.FailedLow)
			}
		}
	}
	// The seed's cells: the latency bound holds on 1,000 items of 816 ms
	// queued behind a cap of 2 with contention, and stays within a few
	// milliseconds (not the wall time's seconds).
	seed, err := ParamsFor(load(t, "seed-816s"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pool := range []int{1, 2, 8, 64} {
		c, iv := rangeCell(t, seed, scenario.Pooled, pool, Spread{Jitter: jitter})
		runs, err := simulateRuns(context.Background(), seed, scenario.Pooled, pool, Spread{Jitter: jitter}, 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.ModelWallSeconds > iv.HighSeconds+1e-9 || r.ModelWallSeconds < iv.LowSeconds-1e-9 {
				t.Errorf("seed pooled(%d): a run took %g, outside %g–%g", pool, r.ModelWallSeconds, iv.LowSeconds, iv.HighSeconds)
			}
			for i, pc := range percentiles {
				if v, lo, hi := *pc(&r.Latency), *pc(&iv.LatencyLow), *pc(&iv.LatencyHigh); v < lo-1e-9 || v > hi+1e-9 {
					t.Errorf("seed pooled(%d): latency percentile %d %g outside %g–%g", pool, i, v, lo, hi)
				}
			}
		}
		if w := iv.LatencyHigh.P99 - c.Latency.P99; w > float64((pool+1)/2)*2*jitter.Seconds()+1e-9 {
			t.Errorf("seed pooled(%d): p99 bound +%g s, want at most ⌈pool/2⌉ × 2 × jitter", pool, w)
		}
	}
	// As predict gives them, with the harness's cost per message: simulated
	// (no bound covers a harness's queue), still within 3%.
	preds, err := Predict(context.Background(), load(t, "seed-816s"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range preds {
		if w := (p.HighSeconds - p.LowSeconds) / p.ModelWallSeconds; !p.Exact || w > 0.03 || p.Runs == 0 {
			t.Errorf("%s: range %g–%g (%.2f%%, %d runs), want an exact cell's range within 3%%, simulated", p.Label(), p.LowSeconds, p.HighSeconds, 100*w, p.Runs)
		}
	}
}

// TestRangeBudget: a cell whose runs would simulate more attempts than the
// budget is run as many times as fit, at least MinRuns, and its range
// states the coverage that gives; within the budget nothing changes.
func TestRangeBudget(t *testing.T) {
	for _, tc := range []struct {
		want, attempts int
		budget         int64
		runs           int
	}{
		{19, 1000, 19_000, 19},
		{19, 1000, 18_999, 18},
		{19, 1000, 5_000, 5},
		{19, 1000, 100, MinRuns},
		{19, 1000, -1, 19},
		{2, 1000, 100, 2},
		{99, 0, 1, 99},
	} {
		if got := affordable(tc.want, tc.attempts, tc.budget); got != tc.runs {
			t.Errorf("affordable(%d, %d, %d) = %d, want %d", tc.want, tc.attempts, tc.budget, got, tc.runs)
		}
	}
	ctx := context.Background()
	// A queue and no timeout: counts that never vary, so no count runs.
	p := params(300, 10*time.Millisecond, upstream.Config{Cap: 4})
	p.Upstream.Latency = "uniform(8ms,12ms)"
	p.Latency = mustLatency(t, p.Upstream.Latency)
	central, err := Simulate(ctx, p, scenario.Pooled, 16)
	if err != nil {
		t.Fatal(err)
	}
	full, err := Range(ctx, p, scenario.Pooled, 16, central, Spread{})
	if err != nil {
		t.Fatal(err)
	}
	cut, err := Range(ctx, p, scenario.Pooled, 16, central, Spread{Budget: int64(5 * central.Attempts)})
	if err != nil {
		t.Fatal(err)
	}
	if full.Runs != DefaultRuns || cut.Runs != 5 || cut.Coverage != 4.0/6 {
		t.Errorf("runs %d (coverage %g) within the budget, %d (coverage %g) over it: want %d, and 5 (4/6)", full.Runs, full.Coverage, cut.Runs, cut.Coverage, DefaultRuns)
	}
	if c := central.ModelWallSeconds; cut.LowSeconds > c || cut.HighSeconds < c || cut.HighSeconds <= cut.LowSeconds {
		t.Errorf("5 runs gave %g–%g around a central %g", cut.LowSeconds, cut.HighSeconds, c)
	}
}
