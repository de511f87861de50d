package sweep

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// gauge is a handler that sleeps d per request and records the peak number
// of requests in flight, and how many it saw.
type gauge struct {
	d                    time.Duration
	inFlight, peak, reqs atomic.Int64
	answer               func(w http.ResponseWriter, r *http.Request, n int64) bool // true: answered
}

func (g *gauge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := g.reqs.Add(1)
	cur := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for {
		p := g.peak.Load()
		if cur <= p || g.peak.CompareAndSwap(p, cur) {
			break
		}
	}
	if g.answer != nil && g.answer(w, r, n) {
		return
	}
	select {
	case <-time.After(g.d):
	case <-r.Context().Done():
		return
	}
	w.Write([]byte(`{"ok":true}`))
}

// testClient returns a client for url with the scenario's client settings,
// with a connection for each of items items (the strategy, not the
// client, limits what is in flight).
func testClient(t *testing.T, url string, items int, cl scenario.Client, scale upstream.Scale) *client {
	t.Helper()
	sc := scenario.Scenario{Name: "t", Items: items, Client: cl,
		Target: &scenario.Target{URL: url}, Sweep: scenario.Sweep{Strategies: []scenario.Strategy{scenario.Serial}}}
	sc = sc.WithDefaults()
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := newClient(target{url: url, method: http.MethodGet}, sc.Client, scale, items, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.closeIdle)
	return c
}

func cellOf(t *testing.T, ctx context.Context, c *client, st scenario.Strategy, pool, items int) results.Cell {
	t.Helper()
	cell := newCellRun(c, scenario.CellPlan{Strategy: st, Pool: pool, Rate: strategy.ArrivalRate{Freq: 1000, Per: time.Second}}, items, 1, nil, nil).run(ctx)
	if cell.Succeeded+cell.Failed != cell.Items {
		t.Errorf("%s/p=%d: succeeded %d + failed %d != items %d", st, pool, cell.Succeeded, cell.Failed, cell.Items)
	}
	return cell
}

// TestStrategyConcurrency checks the concurrency each strategy puts on the
// server: serial 1, pooled and workers exactly P, unbounded every item.
func TestStrategyConcurrency(t *testing.T) {
	for _, tt := range []struct {
		st   scenario.Strategy
		pool int
		want int64
	}{
		{scenario.Serial, 1, 1},
		{scenario.Pooled, 1, 1},
		{scenario.Pooled, 4, 4},
		{scenario.Workers, 3, 3},
		{scenario.Workers, 64, 24}, // more workers than items: every item at once
		{scenario.Unbounded, 0, 24},
	} {
		t.Run(string(tt.st)+"/"+strconv.Itoa(tt.pool), func(t *testing.T) {
			// The handler waits until the expected concurrency is reached
			// (or 2 s pass), so the peak does not depend on timing.
			g := &gauge{d: 5 * time.Millisecond}
			var mu sync.Mutex
			released := false
			ready := make(chan struct{})
			g.answer = func(w http.ResponseWriter, r *http.Request, n int64) bool {
				mu.Lock()
				if !released && g.inFlight.Load() >= tt.want {
					released = true
					close(ready)
				}
				mu.Unlock()
				select {
				case <-ready:
				case <-time.After(2 * time.Second):
				}
				return false
			}
			srv := httptest.NewServer(g)
			defer srv.Close()
			c := testClient(t, srv.URL, 24, scenario.Client{}, 1)
			cell := cellOf(t, context.Background(), c, tt.st, tt.pool, 24)
			if got := g.peak.Load(); got != tt.want {
				t.Errorf("peak in flight = %d, want %d", got, tt.want)
			}
			if cell.Succeeded != 24 || cell.Attempts != 24 || cell.Outcomes["200"] != 24 {
				t.Errorf("cell = %+v", cell)
			}
		})
	}
}

// TestRetriesOnInjectedErrors: every item's first two attempts get a 503,
// so each item takes 3 attempts; with max_attempts 2 every item fails.
func TestRetriesOnInjectedErrors(t *testing.T) {
	g := &gauge{}
	g.answer = func(w http.ResponseWriter, r *http.Request, n int64) bool {
		if n%3 != 0 { // 1, 2 fail; 3 succeeds (serial, so per item)
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	srv := httptest.NewServer(g)
	defer srv.Close()

	c := testClient(t, srv.URL, 5, scenario.Client{}, 1)
	cell := cellOf(t, context.Background(), c, scenario.Serial, 1, 5)
	if cell.Succeeded != 5 || cell.Attempts != 15 || cell.Outcomes["503"] != 10 || cell.Retries() != 10 {
		t.Errorf("3 attempts per item: %+v", cell)
	}

	g.answer = func(w http.ResponseWriter, r *http.Request, n int64) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	c = testClient(t, srv.URL, 5, scenario.Client{Retry: scenario.Retry{MaxAttempts: 2}}, 1)
	cell = cellOf(t, context.Background(), c, scenario.Serial, 1, 5)
	if cell.Failed != 5 || cell.Attempts != 10 || cell.Failures["503 after 2 attempts"] != 5 {
		t.Errorf("max_attempts 2: %+v", cell)
	}

	// A status that is not retried fails at once.
	g.answer = func(w http.ResponseWriter, r *http.Request, n int64) bool {
		w.WriteHeader(http.StatusNotFound)
		return true
	}
	c = testClient(t, srv.URL, 3, scenario.Client{}, 1)
	cell = cellOf(t, context.Background(), c, scenario.Serial, 1, 3)
	if cell.Failed != 3 || cell.Attempts != 3 || cell.Failures["404 after 1 attempt"] != 3 {
		t.Errorf("404: %+v", cell)
	}
}

// TestRetryAfter: a 503 asking for 2 model seconds (the mock's
// X-Mock-Retry-After) is retried no sooner than 2 s × timescale later when
// retry_after is set.
func TestRetryAfter(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	g := &gauge{}
	g.answer = func(w http.ResponseWriter, r *http.Request, n int64) bool {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1") // wall seconds, rounded up
			w.Header().Set("X-Mock-Retry-After", "2s")
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	srv := httptest.NewServer(g)
	defer srv.Close()
	const scale = 0.01
	c := testClient(t, srv.URL, 1, scenario.Client{Retry: scenario.Retry{RetryAfter: true}}, scale)
	cell := cellOf(t, context.Background(), c, scenario.Serial, 1, 1)
	if cell.Succeeded != 1 || cell.Attempts != 2 {
		t.Fatalf("cell = %+v", cell)
	}
	if gap := times[1].Sub(times[0]); gap < 20*time.Millisecond {
		t.Errorf("retried after %v, want at least Retry-After 2s × %v = 20ms", gap, scale)
	}
	if cell.Latency.Max < 2 {
		t.Errorf("item latency %v model s, want ≥ 2 (it waited Retry-After)", cell.Latency.Max)
	}

	// The mock's exact X-Mock-Retry-After wins over the rounded header.
	if d := parseRetryAfter("250ms", "1", upstream.Scale(0.01)); d != 250*time.Millisecond {
		t.Errorf("parseRetryAfter = %v, want 250ms", d)
	}
	// A plain Retry-After is wall seconds: at 1:100 one second is 100 model seconds.
	if d := parseRetryAfter("", "1", upstream.Scale(0.01)); d != 100*time.Second {
		t.Errorf("parseRetryAfter = %v, want 100s", d)
	}
	if d := parseRetryAfter("", "Wed, 21 Oct 2015 07:28:00 GMT", 1); d != 0 {
		t.Errorf("HTTP date: %v, want 0 (ignored)", d)
	}
	// A hostile Retry-After is capped, never "retry now" by overflow.
	for _, v := range []string{"99999999999", "999999999999999999999999999"} {
		if d := parseRetryAfter("", v, 1); d != maxRetryAfter {
			t.Errorf("Retry-After %s: %v, want %v", v, d, maxRetryAfter)
		}
	}
}

// TestTimeout: attempts that outlast the client timeout end as "timeout"
// and are retried up to max_attempts.
func TestTimeout(t *testing.T) {
	g := &gauge{d: 2 * time.Second}
	srv := httptest.NewServer(g)
	defer srv.Close()
	c := testClient(t, srv.URL, 2, scenario.Client{Timeout: upstream.Duration(20 * time.Millisecond), Retry: scenario.Retry{MaxAttempts: 3}}, 1)
	cell := cellOf(t, context.Background(), c, scenario.Pooled, 2, 2)
	if cell.Failed != 2 || cell.Attempts != 6 || cell.Failures["timeout after 3 attempts"] != 2 || cell.Outcomes[scenario.OutcomeTimeout] != 6 {
		t.Errorf("cell = %+v", cell)
	}
}

// TestConnectError: a closed port gives "connect" outcomes, retried.
func TestConnectError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := testClient(t, url, 2, scenario.Client{Retry: scenario.Retry{MaxAttempts: 2}}, 1)
	cell := cellOf(t, context.Background(), c, scenario.Workers, 1, 2)
	if cell.Failed != 2 || cell.Failures["connect after 2 attempts"] != 2 {
		t.Errorf("cell = %+v", cell)
	}
}

// TestCancelMidCell: canceling stops every strategy; unfinished items are
// counted failed as canceled and the books balance.
func TestCancelMidCell(t *testing.T) {
	g := &gauge{d: 100 * time.Millisecond}
	srv := httptest.NewServer(g)
	defer srv.Close()
	for _, st := range scenario.Strategies() {
		t.Run(string(st), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			defer cancel()
			pool := map[scenario.Strategy]int{scenario.Serial: 1, scenario.Pooled: 2, scenario.Workers: 2, scenario.Unbounded: 0}[st]
			c := testClient(t, srv.URL, 200, scenario.Client{}, 1)
			cell := cellOf(t, ctx, c, st, pool, 200)
			if !cell.Interrupted || cell.Failures[scenario.OutcomeCanceled] == 0 || cell.Succeeded == 200 {
				t.Errorf("cell = %+v", cell)
			}
		})
	}
}
