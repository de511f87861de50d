package model

import (
	"math"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// rateCell simulates a rate cell of items at rate against a fixed
// latency lat and upstream up, no retries.
func rateCell(t *testing.T, items int, rate string, lat time.Duration, up upstream.Config, pacing *strategy.RateConfig) Params {
	t.Helper()
	p := params(items, lat, up)
	r, err := strategy.ParseRate(rate)
	if err != nil {
		t.Fatal(err)
	}
	p.Rate, p.Pacing, p.MaxAttempts = r, pacing, 1
	return p
}

// TestRateAgainstCapacity: arrivals at λ against cap c and service time
// L. Below c/L every item takes L and the wall time is the schedule's;
// above it a queue grows (the wall time is the cap's, items·L/c, and the
// last item waits the difference) or, rejecting, the excess is turned
// away (a share of about 1 − c/(λL)).
func TestRateAgainstCapacity(t *testing.T) {
	const n, lat = 400, 100 * time.Millisecond
	queue := upstream.Config{Cap: 4}                                     // c/L = 40/s
	reject := upstream.Config{Cap: 4, Overflow: upstream.OverflowReject} // the same, rejecting
	for _, tt := range []struct {
		rate string
		up   upstream.Config
		// wall, p50 and max latency (s), rejected items
		wall, p50, max float64
		rejected       int
	}{
		{"20/s", queue, 20 + 0.1, 0.1, 0.1, 0},
		{"40/s", queue, 10 + 0.1, 0.1, 0.1, 0},
		// 80/s: item k (from 1) arrives at k/80 s; each of the 4 slots
		// serves every 4th item back to back, so the m-th item of a slot
		// (from 0) takes 0.1 + m·(0.1 − 4/80) s: the median 2.55 s, the
		// last 5.05 s, and the last slot, opened at 4/80 s, ends 100 items
		// later.
		{"80/s", queue, 0.05 + 10, 2.55, 5.05, 0},
		// Rejecting at 80/s: four items in, the next four (due before a
		// slot frees) turned away at once (latency 0), the median one of
		// them; the last four are turned away, so the cell ends 100 ms
		// after the four before them arrived, at 4.95 s.
		{"20/s", reject, 20.1, 0.1, 0.1, 0},
		{"80/s", reject, 5.05, 0, 0.1, 200},
	} {
		c, err := Simulate(t.Context(), rateCell(t, n, tt.rate, lat, tt.up, nil), scenario.Rate, 0)
		if err != nil {
			t.Fatal(err)
		}
		name := tt.rate + " " + string(tt.up.Overflow)
		near := func(what string, got, want float64) {
			if math.Abs(got-want) > 0.001*want+0.002 {
				t.Errorf("%s: %s %.4g, want %.4g", name, what, got, want)
			}
		}
		near("wall", c.ModelWallSeconds, tt.wall)
		near("p50", c.Latency.P50, tt.p50)
		near("max latency", c.Latency.Max, tt.max)
		if got := int(c.Upstream.Rejected); math.Abs(float64(got-tt.rejected)) > 0.02*n {
			t.Errorf("%s: %d rejected, want about %d", name, got, tt.rejected)
		}
		if c.Schedule == nil || c.Schedule.Started != n || c.Schedule.Late != 0 || c.Rate == nil || c.Rate.String() != tt.rate {
			t.Fatalf("%s: schedule %+v, rate %v", name, c.Schedule, c.Rate)
		}
		if r := c.Schedule.StartRate; math.Abs(r-c.Rate.PerSecond()) > 1e-6*r {
			t.Errorf("%s: start rate %g in the model", name, r)
		}
		if c.Schedule.Uncorrected != c.Latency { // nothing starts late without a bound
			t.Errorf("%s: uncorrected %+v differs from %+v with no item late", name, c.Schedule.Uncorrected, c.Latency)
		}
	}
}

// TestRateBoundAndDeadline: with max_in_flight 1 a stalled item holds the
// only slot until its timeout, so the items due meanwhile start late: the
// latency from the intended start is far above the latency from the
// actual one. A short grace stops the cell at its deadline: what is
// unfinished then fails as time-limit, never started items included.
func TestRateBoundAndDeadline(t *testing.T) {
	up := upstream.Config{StallRate: 0.005, Seed: 3}
	p := rateCell(t, 1000, "100/s", 2*time.Millisecond, up, &strategy.RateConfig{MaxInFlight: 1, Grace: upstream.Duration(time.Second)})
	p.Timeout = 500 * time.Millisecond
	c, err := Simulate(t.Context(), p, scenario.Rate, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Schedule
	if c.Upstream.Stalled == 0 || c.Upstream.Stalled > 9 {
		t.Fatalf("%d stalled: pick a seed with a few stalls, under 1%% of the items", c.Upstream.Stalled)
	}
	if c.Latency.P99 < 10*s.Uncorrected.P99 || c.Latency.P99 < 0.2 {
		t.Errorf("p99 %.3g s from the intended start, %.3g s from the actual start: want the first far above", c.Latency.P99, s.Uncorrected.P99)
	}
	if s.Late < 40*int(c.Upstream.Stalled) || s.Lateness.Max < 0.45 {
		t.Errorf("%d items late (max %.3g s) behind %d stalls of 500 ms at 100/s", s.Late, s.Lateness.Max, c.Upstream.Stalled)
	}

	// Above capacity (200/s against a cap of 1 and 10 ms: 100/s) with a
	// grace of 1 s: the schedule ends at 2 s, the cell at 3 s, having
	// answered about 300 items.
	p = rateCell(t, 400, "200/s", 10*time.Millisecond, upstream.Config{Cap: 1}, &strategy.RateConfig{Grace: upstream.Duration(time.Second)})
	c, err = Simulate(t.Context(), p, scenario.Rate, 0)
	if err != nil {
		t.Fatal(err)
	}
	cut := c.Failures[scenario.OutcomeTimeLimit]
	if c.ModelWallSeconds != 3 || c.Schedule.DeadlineSeconds != 3 || c.Succeeded < 295 || c.Succeeded > 301 || cut != c.Failed || c.Succeeded+cut != 400 {
		t.Errorf("wall %g, deadline %g, %d succeeded, %d time-limit of %d failed", c.ModelWallSeconds, c.Schedule.DeadlineSeconds, c.Succeeded, cut, c.Failed)
	}
	if u := c.Upstream; u.Canceled != int64(cut) || u.Requests != u.Completed+u.Canceled {
		t.Errorf("upstream %+v: want the %d cut requests canceled", u, cut)
	}
}
