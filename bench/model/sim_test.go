package model

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

func mustLatency(t testing.TB, spec string) upstream.Latency {
	t.Helper()
	l, err := upstream.ParseLatency(spec)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// retryAll is a test policy: retry every failure after delay, or after the
// Retry-After when honor is set and one was sent.
type retryAll struct {
	delay time.Duration
	honor bool
}

func (retryAll) Retries(string) bool { return true }
func (p retryAll) Delay(_ int, _ *rand.Rand, ra time.Duration) time.Duration {
	if p.honor && ra > 0 {
		return ra
	}
	return p.delay
}

func params(items int, lat time.Duration, up upstream.Config) Params {
	up.Latency = lat.String()
	return Params{Items: items, Upstream: up, Latency: upstream.Fixed(lat), MaxAttempts: 4, Retry: retryAll{}, KeepAlive: true, Timeout: 0}
}

func TestExactWall(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name            string
		items, conc, cp int
		lat             time.Duration
		c               float64
		want            time.Duration
	}{
		{"seed serial", 1000, 1, 2, 816 * ms, 0.0392, 816 * time.Second},
		// 500 batches of 816 ms × 1.0392 = 848.0 ms (the seed's 424 s).
		{"seed pool 2", 1000, 2, 2, 816 * ms, 0.0392, 423993600 * time.Microsecond},
		{"seed pool 100", 1000, 100, 2, 816 * ms, 0.0392, 423993600 * time.Microsecond},
		{"no cap", 10, 5, 0, 100 * ms, 0, 200 * ms},
		{"partial batch, no contention", 10, 4, 0, 100 * ms, 0, 300 * ms},
		// k = 4, S = 100 × 1.3 = 130; item 9 is lane 1 of round 2:
		// 100 × 1.1 + 2 × 130 = 370.
		{"partial batch, contention", 10, 4, 4, 100 * ms, 0.1, 370 * ms},
		{"one item", 1, 8, 4, 50 * ms, 0.5, 50 * ms},
	} {
		got := ExactWall(tc.items, tc.conc, tc.cp, tc.lat, tc.c)
		if d := got - tc.want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("%s: ExactWall = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestExactApplies(t *testing.T) {
	base := params(100, 10*time.Millisecond, upstream.Config{Cap: 4})
	for _, tc := range []struct {
		name string
		edit func(*Params)
		want bool
	}{
		{"plain", func(*Params) {}, true},
		{"reject overflow", func(p *Params) { p.Upstream.Overflow = upstream.OverflowReject }, false},
		{"queue limit too small", func(p *Params) { p.Upstream.QueueLimit = 3 }, false},
		{"queue limit large enough", func(p *Params) { p.Upstream.QueueLimit = 4 }, true},
		{"errors", func(p *Params) { p.Upstream.ErrorRate = 0.1 }, false},
		{"distribution", func(p *Params) { p.Latency = mustLatency(t, "uniform(1ms,2ms)") }, false},
		{"connect cost", func(p *Params) { p.KeepAlive = false; p.ConnectCost = time.Millisecond }, false},
		{"timeouts hit", func(p *Params) { p.Timeout = 15 * time.Millisecond }, false},
		{"timeout generous", func(p *Params) { p.Timeout = 20 * time.Millisecond }, true},
	} {
		p := base
		tc.edit(&p)
		if _, ok := Exact(p, scenario.Pooled, 8); ok != tc.want {
			t.Errorf("%s: Exact ok = %v, want %v", tc.name, ok, tc.want)
		}
	}
}

// TestSimulationMatchesExact checks the simulation against the closed
// formula wherever it applies: within 0.1%.
func TestSimulationMatchesExact(t *testing.T) {
	ctx := context.Background()
	for _, items := range []int{1, 7, 100, 1000} {
		for _, cp := range []int{0, 1, 2, 5} {
			for _, c := range []float64{0, 0.0392, 0.25} {
				for _, lat := range []time.Duration{time.Millisecond, 816 * time.Millisecond} {
					p := params(items, lat, upstream.Config{Cap: cp, Contention: c})
					for _, sp := range []struct {
						s    scenario.Strategy
						pool int
					}{{scenario.Serial, 1}, {scenario.Pooled, 1}, {scenario.Pooled, 2}, {scenario.Workers, 3}, {scenario.Pooled, 8}, {scenario.Unbounded, 0}} {
						want, ok := Exact(p, sp.s, sp.pool)
						if !ok {
							t.Fatalf("Exact does not apply to %+v", p)
						}
						got, err := Simulate(ctx, p, sp.s, sp.pool)
						if err != nil {
							t.Fatal(err)
						}
						w := want.Seconds()
						if rel := math.Abs(got.ModelWallSeconds-w) / w; rel > 0.001 {
							t.Errorf("items %d cap %d c %g lat %v %s/%d: simulated %.6fs, exact %.6fs", items, cp, c, lat, sp.s, sp.pool, got.ModelWallSeconds, w)
						}
						if got.Failed != 0 || got.Attempts != items {
							t.Errorf("%s/%d: %d failed, %d attempts; want none failed, %d attempts", sp.s, sp.pool, got.Failed, got.Attempts, items)
						}
						conc, _ := Concurrency(sp.s, sp.pool, items)
						if wantPeak := int64(lanes(conc, cp)); got.Upstream.PeakInFlight != wantPeak {
							t.Errorf("%s/%d cap %d: peak in flight %d, want %d", sp.s, sp.pool, cp, got.Upstream.PeakInFlight, wantPeak)
						}
					}
				}
			}
		}
	}
}

func TestSeedScenario(t *testing.T) {
	p := params(1000, 816*time.Millisecond, upstream.Config{Cap: 2, Contention: 0.0392})
	for _, tc := range []struct {
		s    scenario.Strategy
		pool int
		want float64
	}{{scenario.Serial, 1, 816}, {scenario.Pooled, 2, 424}, {scenario.Pooled, 4, 424}, {scenario.Workers, 64, 424}} {
		c, err := Simulate(context.Background(), p, tc.s, tc.pool)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(c.ModelWallSeconds-tc.want) > 0.01 { // the seed's figures are rounded to the second
			t.Errorf("%s/%d: %.4fs, want %gs", tc.s, tc.pool, c.ModelWallSeconds, tc.want)
		}
	}
}

// TestRetriesUnderReject checks small cases worked out by hand.
func TestRetriesUnderReject(t *testing.T) {
	ms := time.Millisecond
	rejectCap1 := upstream.Config{Cap: 1, Overflow: upstream.OverflowReject, RetryAfter: upstream.Duration(time.Second)}
	for _, tc := range []struct {
		name     string
		p        Params
		s        scenario.Strategy
		pool     int
		wall     float64
		ok       int
		attempts int
		outcomes map[string]int
		failures map[string]int
		up       upstream.Counters
		maxLat   float64
	}{
		{
			// t=0: item 0 admitted (done at 0.1 s); items 1 and 2 are
			// rejected four times each, retried at once, and fail at t=0.
			name: "immediate retries", p: params(3, 100*ms, rejectCap1), s: scenario.Unbounded,
			wall: 0.1, ok: 1, attempts: 9,
			outcomes: map[string]int{"200": 1, "503": 8},
			failures: map[string]int{"503 after 4 attempts": 2},
			up:       upstream.Counters{Requests: 9, Admitted: 1, Completed: 1, Rejected: 8, PeakInFlight: 1},
			maxLat:   0.1,
		},
		{
			// Retry-After 1 s: items 1 and 2 rejected at 0; at 1.0 item 1
			// is admitted (done 1.1) and item 2 rejected again; at 2.0
			// item 2 is admitted, done 2.1.
			name: "Retry-After honoured",
			p: func() Params {
				p := params(3, 100*ms, rejectCap1)
				p.Retry = retryAll{honor: true}
				return p
			}(),
			s: scenario.Unbounded, wall: 2.1, ok: 3, attempts: 6,
			outcomes: map[string]int{"200": 3, "503": 3},
			up:       upstream.Counters{Requests: 6, Admitted: 3, Completed: 3, Rejected: 3, PeakInFlight: 1},
			maxLat:   2.1,
		},
		{
			// The same with bench's own policy: Retry-After honoured, no
			// backoff of its own.
			name: "Retry-After through scenario.Retry",
			p: func() Params {
				p := params(3, 100*ms, rejectCap1)
				p.Retry = scenario.Retry{Backoff: scenario.BackoffNone, RetryAfter: true}.WithDefaults()
				return p
			}(),
			s: scenario.Unbounded, wall: 2.1, ok: 3, attempts: 6,
			outcomes: map[string]int{"200": 3, "503": 3},
			up:       upstream.Counters{Requests: 6, Admitted: 3, Completed: 3, Rejected: 3, PeakInFlight: 1},
			maxLat:   2.1,
		},
		{
			// scenario.Retry without "5xx" in On: a 503 is final at once.
			name: "not retried through scenario.Retry",
			p: func() Params {
				p := params(3, 100*ms, rejectCap1)
				p.Retry = scenario.Retry{On: []string{scenario.RetryOnTimeout}}.WithDefaults()
				return p
			}(),
			s: scenario.Unbounded, wall: 0.1, ok: 1, attempts: 3,
			outcomes: map[string]int{"200": 1, "503": 2},
			failures: map[string]int{"503 after 1 attempt": 2},
			up:       upstream.Counters{Requests: 3, Admitted: 1, Completed: 1, Rejected: 2, PeakInFlight: 1},
			maxLat:   0.1,
		},
		{
			// 429 with a pool of 2 and a 30 ms constant backoff: item 1 is
			// rejected at 0, 30, 60, 90 ms and fails after 4 attempts; item
			// 2 then starts at 90 ms, is rejected (item 0 is done at 100),
			// retried at 120 ms: admitted, done at 220 ms.
			name: "constant backoff, pool 2",
			p: func() Params {
				up := rejectCap1
				up.RejectStatus = 429
				p := params(3, 100*ms, up)
				p.Retry = retryAll{delay: 30 * ms}
				return p
			}(),
			s: scenario.Pooled, pool: 2, wall: 0.22, ok: 2, attempts: 7,
			outcomes: map[string]int{"200": 2, "429": 5},
			failures: map[string]int{"429 after 4 attempts": 1},
			up:       upstream.Counters{Requests: 7, Admitted: 2, Completed: 2, Rejected: 5, PeakInFlight: 1},
			maxLat:   0.13,
		},
		{
			// Reset overflow with one attempt allowed: no retries.
			name: "reset overflow, no retries",
			p: func() Params {
				p := params(3, 100*ms, upstream.Config{Cap: 1, Overflow: upstream.OverflowReset})
				p.MaxAttempts = 1
				return p
			}(),
			s: scenario.Unbounded, wall: 0.1, ok: 1, attempts: 3,
			outcomes: map[string]int{"200": 1, "reset": 2},
			failures: map[string]int{"reset after 1 attempt": 2},
			up:       upstream.Counters{Requests: 3, Admitted: 1, Completed: 1, Reset: 2, PeakInFlight: 1},
			maxLat:   0.1,
		},
		{
			// Queue limit 1: item 0 runs 0–100 ms, item 1 queues, item 2
			// is rejected and retried after 150 ms; item 1 runs 100–200
			// ms, so at 150 item 2 queues and runs 200–300 ms.
			name: "queue limit",
			p: func() Params {
				p := params(3, 100*ms, upstream.Config{Cap: 1, QueueLimit: 1})
				p.Retry = retryAll{delay: 150 * ms}
				return p
			}(),
			s: scenario.Unbounded, wall: 0.3, ok: 3, attempts: 4,
			outcomes: map[string]int{"200": 3, "503": 1},
			up:       upstream.Counters{Requests: 4, Admitted: 3, Completed: 3, Rejected: 1, PeakInFlight: 1, PeakQueued: 1},
			maxLat:   0.3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Simulate(context.Background(), tc.p, tc.s, tc.pool)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(c.ModelWallSeconds-tc.wall) > 1e-9 || c.Succeeded != tc.ok || c.Failed != 3-tc.ok || c.Attempts != tc.attempts {
				t.Errorf("wall %g ok %d failed %d attempts %d; want wall %g ok %d attempts %d", c.ModelWallSeconds, c.Succeeded, c.Failed, c.Attempts, tc.wall, tc.ok, tc.attempts)
			}
			if !reflect.DeepEqual(c.Outcomes, tc.outcomes) {
				t.Errorf("outcomes %v, want %v", c.Outcomes, tc.outcomes)
			}
			if !reflect.DeepEqual(c.Failures, tc.failures) {
				t.Errorf("failures %v, want %v", c.Failures, tc.failures)
			}
			if *c.Upstream != tc.up {
				t.Errorf("upstream %+v,\nwant     %+v", *c.Upstream, tc.up)
			}
			if math.Abs(c.Latency.Max-tc.maxLat) > 1e-9 {
				t.Errorf("max latency %g, want %g", c.Latency.Max, tc.maxLat)
			}
		})
	}
}

// TestTimeoutsAndStalls checks the client timeout against the queue and
// against stalled requests.
func TestTimeoutsAndStalls(t *testing.T) {
	ctx := context.Background()
	// Cap 1, latency 1 s, timeout 1.5 s, one attempt: item 0 done at 1.0;
	// item 1 admitted at 1.0 cannot finish by 1.5 and is canceled then;
	// item 2 is admitted at 1.5 and times out at once.
	p := params(3, time.Second, upstream.Config{Cap: 1})
	p.Timeout, p.MaxAttempts = 1500*time.Millisecond, 1
	c, err := Simulate(ctx, p, scenario.Unbounded, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.ModelWallSeconds != 1.5 || c.Succeeded != 1 || c.Outcomes["timeout"] != 2 || c.Upstream.Canceled != 2 || c.Failures["timeout after 1 attempt"] != 2 {
		t.Errorf("queue timeouts: %+v %+v", c, *c.Upstream)
	}

	// Every request stalls: two attempts of 2 s each, a slot held each time.
	p = params(1, time.Millisecond, upstream.Config{Cap: 1, StallRate: 1})
	p.Timeout, p.MaxAttempts = 2*time.Second, 2
	c, err = Simulate(ctx, p, scenario.Serial, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.ModelWallSeconds != 4 || c.Failed != 1 || c.Upstream.Stalled != 2 || c.Failures["timeout after 2 attempts"] != 1 {
		t.Errorf("stalls: %+v %+v", c, *c.Upstream)
	}

	// Keep-alive off with a 5 ms connection: serial pays it per attempt.
	p = params(10, 10*time.Millisecond, upstream.Config{})
	p.KeepAlive, p.ConnectCost = false, 5*time.Millisecond
	c, err = Simulate(ctx, p, scenario.Serial, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.ModelWallSeconds-0.15) > 1e-9 {
		t.Errorf("connect cost: wall %g, want 0.15", c.ModelWallSeconds)
	}

	// A stall without a timeout would never end: refused.
	p = params(1, time.Millisecond, upstream.Config{StallRate: 0.5})
	if _, err := Simulate(ctx, p, scenario.Serial, 1); err == nil {
		t.Error("stall without timeout: no error")
	}
}

// TestCountersBalance checks the mock's invariant on a faulty, randomised
// cell: Requests = Completed + Rejected + Reset + Stalled + Canceled.
func TestCountersBalance(t *testing.T) {
	p := Params{
		Items:   2000,
		Latency: mustLatency(t, "uniform(5ms,50ms)"),
		Upstream: upstream.Config{Latency: "uniform(5ms,50ms)", Cap: 8, QueueLimit: 20, Contention: 0.05,
			ErrorRate: 0.05, ResetRate: 0.03, StallRate: 0.02, Seed: 3},
		Timeout: 200 * time.Millisecond, MaxAttempts: 3, Retry: retryAll{delay: 10 * time.Millisecond}, Seed: 9,
	}
	for _, tc := range []struct {
		s   scenario.Strategy
		rtt time.Duration
	}{{scenario.Serial, 0}, {scenario.Pooled, 0}, {scenario.Workers, 0}, {scenario.Unbounded, 0},
		{scenario.Pooled, 7 * time.Millisecond}, {scenario.Unbounded, 190 * time.Millisecond}, {scenario.Pooled, 300 * time.Millisecond}} {
		p.RoundTrip = tc.rtt
		s := tc.s
		c, err := Simulate(context.Background(), p, s, 32)
		if err != nil {
			t.Fatal(err)
		}
		u := c.Upstream
		if u.Requests != u.Completed+u.Rejected+u.Reset+u.Stalled+u.Canceled || u.InFlight != 0 || u.Queued != 0 {
			t.Errorf("%s: counters do not balance: %+v", s, *u)
		}
		if c.Succeeded+c.Failed != c.Items || c.Attempts < c.Items {
			t.Errorf("%s: items do not balance: %+v", s, c)
		}
		sum := 0
		for _, v := range c.Outcomes {
			sum += v
		}
		if sum != c.Attempts {
			t.Errorf("%s: outcomes %v sum to %d, attempts %d", s, c.Outcomes, sum, c.Attempts)
		}
		if u.PeakInFlight > 8 || u.PeakQueued > 20 {
			t.Errorf("%s: cap or queue limit exceeded: %+v", s, *u)
		}
	}
}

func TestDeterministic(t *testing.T) {
	p := Params{
		Items: 5000, Latency: mustLatency(t, "lognormal(median=10ms,sigma=0.8)"),
		Upstream: upstream.Config{Cap: 4, Overflow: upstream.OverflowReject, ErrorRate: 0.1, Seed: 11},
		Timeout:  time.Second, MaxAttempts: 4, Retry: retryAll{delay: 5 * time.Millisecond}, Seed: 5,
	}
	a, err := Simulate(context.Background(), p, scenario.Pooled, 16)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Simulate(context.Background(), p, scenario.Pooled, 16)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same params, different cells:\n%+v\n%+v", a, b)
	}
	p.Upstream.Seed++
	c, _ := Simulate(context.Background(), p, scenario.Pooled, 16)
	if reflect.DeepEqual(a, c) {
		t.Error("another seed gave the very same cell")
	}
}

func TestSimulateCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Simulate(ctx, params(10, time.Millisecond, upstream.Config{}), scenario.Serial, 1); err == nil {
		t.Error("canceled context: no error")
	}
}
