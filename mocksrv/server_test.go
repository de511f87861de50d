package mocksrv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// served is a mock under test: its base URL.
type served struct{ URL string }

// forEngines runs test once per engine this platform has, as subtests.
func forEngines(t *testing.T, test func(*testing.T, Engine)) {
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) { test(t, e) })
	}
}

// start serves cfg with engine e (EngineHTTP behind an httptest server)
// and returns it with a client whose transport keeps enough idle
// connections for the tests' concurrency.
func start(t *testing.T, e Engine, cfg upstream.Config) (*Server, served, *http.Client) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 512, MaxIdleConns: 512}
	if e == EngineHTTP {
		ts := httptest.NewServer(s)
		t.Cleanup(func() {
			s.Close()
			ts.Close()
			tr.CloseIdleConnections()
		})
		return s, served{ts.URL}, &http.Client{Transport: tr}
	}
	r, err := ListenEngine("", s, e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s, served{r.URL}, &http.Client{Transport: tr}
}

// get sends GET url with ctx and returns the status and the body.
func get(ctx context.Context, c *http.Client, url string) (int, []byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

// waitFor polls the server's stats until cond holds (or fails after 10 s,
// which only a broken server reaches).
func waitFor(t *testing.T, s *Server, what string, cond func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.Stats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; stats %+v", what, st.Counters)
		}
		time.Sleep(time.Millisecond)
	}
}

func checkBalance(t *testing.T, c upstream.Counters) {
	t.Helper()
	if err := c.Balanced(); err != nil {
		t.Error(err)
	}
}

type answer struct {
	ID             uint64  `json:"id"`
	Status         int     `json:"status"`
	InFlight       int64   `json:"in_flight"`
	Latency        float64 `json:"latency_seconds"`
	QueueWait      float64 `json:"queue_wait_seconds"`
	ModelLatency   float64 `json:"model_latency_seconds"`
	ModelQueueWait float64 `json:"model_queue_wait_seconds"`
	Padding        string  `json:"padding"`
}

// TestQueueCap: n requests at once through cap c take at least ⌈n/c⌉
// latencies, never more than c in flight.
func TestQueueCap(t *testing.T) { forEngines(t, testQueueCap) }

func testQueueCap(t *testing.T, e Engine) {
	const n, capN = 9, 2
	lat := 80 * time.Millisecond
	s, ts, c := start(t, e, upstream.Config{Latency: "8s", Timescale: 0.01, Cap: capN})
	began := time.Now()
	var wg sync.WaitGroup
	answers := make([]answer, n)
	for i := range n {
		wg.Go(func() {
			code, body, _, err := get(t.Context(), c, ts.URL)
			if err != nil || code != 200 {
				t.Errorf("request %d: %d %v", i, code, err)
				return
			}
			if err := json.Unmarshal(body, &answers[i]); err != nil {
				t.Errorf("body %q: %v", body, err)
			}
		})
	}
	wg.Wait()
	wall := time.Since(began)
	rounds := (n + capN - 1) / capN
	if min := time.Duration(rounds) * lat; wall < min {
		t.Errorf("wall %v below the model's %d × %v = %v", wall, rounds, lat, min)
	}
	if max := time.Duration(rounds)*lat + 3*time.Second; wall > max {
		t.Errorf("wall %v far above the model's %v", wall, time.Duration(rounds)*lat)
	}
	st := s.Stats()
	checkBalance(t, st.Counters)
	if st.PeakInFlight != capN || st.Completed != n || st.Admitted != n || st.InFlight != 0 || st.Queued != 0 {
		t.Errorf("counters %+v, want peak_in_flight %d, completed and admitted %d", st.Counters, capN, n)
	}
	if st.PeakQueued < 1 || st.PeakQueued > n-capN {
		t.Errorf("peak_queued %d, want 1..%d", st.PeakQueued, n-capN)
	}
	for _, a := range answers {
		if a.Latency < lat.Seconds()*0.95 || a.ModelLatency < 7.6 {
			t.Errorf("answer %+v: latency below the model's %v", a, lat)
		}
		if a.InFlight < 1 || a.InFlight > capN {
			t.Errorf("answer %+v: in_flight outside 1..%d", a, capN)
		}
	}
	if st.QueueWait.Count != n || st.ServiceTime.Count != n {
		t.Errorf("summary counts %d, %d, want %d", st.QueueWait.Count, st.ServiceTime.Count, n)
	}
	if st.ModelServiceTime.P50 < 7.6 || st.ModelServiceTime.P50 > 30 || st.QueueWait.Max < lat.Seconds()*0.9 {
		t.Errorf("summaries %+v %+v", st.ModelServiceTime, st.QueueWait)
	}
}

// burst starts n requests that hold their slots (latency 1h) and returns a
// function that cancels them and waits for them to end.
func burst(t *testing.T, c *http.Client, url string, n int, results chan<- error) func() {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			code, _, h, err := get(ctx, c, url)
			if err == nil {
				err = fmt.Errorf("status %d retry-after %q x-mock-retry-after %q", code, h.Get("Retry-After"), h.Get("X-Mock-Retry-After"))
			}
			results <- err
		})
	}
	return func() { cancel(); wg.Wait() }
}

// TestRejectBurst: from a burst, exactly cap are admitted; the rest are
// answered at once with the reject status and Retry-After.
func TestRejectBurst(t *testing.T) { forEngines(t, testRejectBurst) }

func testRejectBurst(t *testing.T, e Engine) {
	for _, status := range []int{503, 429} {
		s, ts, c := start(t, e, upstream.Config{Latency: "1h", Cap: 3, Overflow: upstream.OverflowReject, RejectStatus: status, RetryAfter: upstream.Duration(1500 * time.Millisecond)})
		results := make(chan error, 10)
		stop := burst(t, c, ts.URL, 10, results)
		want := fmt.Sprintf(`status %d retry-after "2" x-mock-retry-after "1.5s"`, status)
		for range 7 { // the rejected ones answer while the admitted ones hold their slots
			if err := <-results; err == nil || err.Error() != want {
				t.Errorf("rejected request: %v, want %s", err, want)
			}
		}
		st := waitFor(t, s, "3 in flight", func(st Stats) bool { return st.InFlight == 3 })
		checkBalance(t, st.Counters)
		if st.Admitted != 3 || st.Rejected != 7 {
			t.Errorf("counters %+v, want admitted 3, rejected 7", st.Counters)
		}
		stop()
		for range 3 {
			if err := <-results; !errors.Is(err, context.Canceled) {
				t.Errorf("admitted request ended with %v, want context.Canceled", err)
			}
		}
		st = waitFor(t, s, "slots freed", func(st Stats) bool { return st.InFlight == 0 })
		checkBalance(t, st.Counters)
		if st.Canceled != 3 || st.PeakInFlight != 3 {
			t.Errorf("counters %+v, want canceled 3, peak_in_flight 3", st.Counters)
		}
	}
}

// TestResetOverflow: past the cap the client sees its connection reset.
func TestResetOverflow(t *testing.T) { forEngines(t, testResetOverflow) }

func testResetOverflow(t *testing.T, e Engine) {
	s, ts, c := start(t, e, upstream.Config{Latency: "1h", Cap: 1, Overflow: upstream.OverflowReset})
	results := make(chan error, 1)
	stop := burst(t, c, ts.URL, 1, results)
	waitFor(t, s, "1 in flight", func(st Stats) bool { return st.InFlight == 1 })
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, _, _, err := get(t.Context(), fresh, ts.URL)
	if err == nil || !(strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "EOF")) {
		t.Errorf("over the cap: %v, want a connection reset", err)
	}
	stop()
	<-results
	st := waitFor(t, s, "slot freed", func(st Stats) bool { return st.InFlight == 0 })
	checkBalance(t, st.Counters)
	if st.Reset < 1 || st.Admitted != 1 || st.Canceled != 1 {
		t.Errorf("counters %+v, want reset ≥ 1, admitted 1, canceled 1", st.Counters)
	}
}

// TestQueueLimit: past queue_limit waiting requests, the excess is rejected.
func TestQueueLimit(t *testing.T) { forEngines(t, testQueueLimit) }

func testQueueLimit(t *testing.T, e Engine) {
	s, ts, c := start(t, e, upstream.Config{Latency: "1h", Cap: 1, QueueLimit: 2})
	results := make(chan error, 6)
	stop := burst(t, c, ts.URL, 6, results)
	for range 3 {
		if err := <-results; err == nil || !strings.HasPrefix(err.Error(), "status 503") {
			t.Errorf("past the queue limit: %v, want status 503", err)
		}
	}
	st := waitFor(t, s, "1 in flight, 2 queued", func(st Stats) bool { return st.InFlight == 1 && st.Queued == 2 })
	checkBalance(t, st.Counters)
	stop()
	for range 3 {
		<-results
	}
	st = waitFor(t, s, "all gone", func(st Stats) bool { return st.InFlight == 0 && st.Queued == 0 })
	checkBalance(t, st.Counters)
	if st.Rejected != 3 || st.Canceled != 3 || st.PeakQueued != 2 {
		t.Errorf("counters %+v, want rejected 3, canceled 3, peak_queued 2", st.Counters)
	}
}

// TestDisconnectWhileQueued: a queued client that goes away frees its place
// at once, and the slot passes on.
func TestDisconnectWhileQueued(t *testing.T) { forEngines(t, testDisconnectWhileQueued) }

func testDisconnectWhileQueued(t *testing.T, e Engine) {
	s, ts, c := start(t, e, upstream.Config{Latency: "1h", Cap: 1})
	first := make(chan error, 1)
	stopFirst := burst(t, c, ts.URL, 1, first)
	waitFor(t, s, "1 in flight", func(st Stats) bool { return st.InFlight == 1 })
	second := make(chan error, 1)
	stopSecond := burst(t, c, ts.URL, 1, second)
	waitFor(t, s, "1 queued", func(st Stats) bool { return st.Queued == 1 })
	stopSecond()
	st := waitFor(t, s, "queue empty", func(st Stats) bool { return st.Queued == 0 })
	checkBalance(t, st.Counters)
	if st.Canceled != 1 || st.InFlight != 1 {
		t.Errorf("after the queued client left: %+v, want canceled 1, in_flight 1", st.Counters)
	}
	stopFirst()
	waitFor(t, s, "slot freed", func(st Stats) bool { return st.InFlight == 0 })
	third := make(chan error, 1)
	stopThird := burst(t, c, ts.URL, 1, third)
	st = waitFor(t, s, "third admitted", func(st Stats) bool { return st.InFlight == 1 })
	if st.Queued != 0 || st.Admitted != 2 {
		t.Errorf("third request not admitted at once: %+v", st.Counters)
	}
	stopThird()
	st = waitFor(t, s, "all gone", func(st Stats) bool { return st.InFlight == 0 })
	checkBalance(t, st.Counters)
	if st.Canceled != 3 {
		t.Errorf("counters %+v, want canceled 3", st.Counters)
	}
}

// TestContention: a served request applies the contention formula
// (upstream.Config.ServiceTime).
func TestContention(t *testing.T) { forEngines(t, testContention) }

func testContention(t *testing.T, e Engine) {
	// Two requests in flight together: the second admitted is stretched.
	_, ts, c := start(t, e, upstream.Config{Latency: "816ms", Cap: 2, Contention: 0.0392, Timescale: 0.01})
	var wg sync.WaitGroup
	answers := make([]answer, 2)
	for i := range answers {
		wg.Go(func() {
			_, body, _, err := get(t.Context(), c, ts.URL)
			if err == nil {
				err = json.Unmarshal(body, &answers[i])
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, a := range answers {
		want := 0.816 * (1 + 0.0392*float64(a.InFlight-1))
		if a.ModelLatency < want*0.99 || a.ModelLatency > want+2 {
			t.Errorf("answer %+v: model latency, want about %.4f s", a, want)
		}
	}
}

// TestCloseReleases: Close rejects queued requests and ends stalled ones.
func TestCloseReleases(t *testing.T) { forEngines(t, testCloseReleases) }

func testCloseReleases(t *testing.T, e Engine) {
	s, ts, c := start(t, e, upstream.Config{Latency: "30ms", Cap: 1, StallRate: 1})
	results := make(chan error, 3)
	stop := burst(t, c, ts.URL, 3, results)
	waitFor(t, s, "stalled and queued", func(st Stats) bool { return st.Stalled >= 1 && st.Queued+st.Stalled+st.InFlight == 3 })
	s.Close()
	s.Close() // idempotent
	st := waitFor(t, s, "released", func(st Stats) bool { return st.Queued == 0 && st.InFlight == 0 })
	checkBalance(t, st.Counters)
	for range 3 {
		if err := <-results; err == nil {
			t.Error("a request got an answer, want a rejection or a reset")
		} else if !strings.HasPrefix(err.Error(), "status 503") && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
			t.Errorf("after Close: %v", err)
		}
	}
	stop()
	if code, _, _, err := get(t.Context(), c, ts.URL); err != nil || code != 503 {
		t.Errorf("after Close: %d %v, want 503", code, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(upstream.Config{Latency: "10ms", Cap: -1}); err == nil || !strings.Contains(err.Error(), "cap") {
		t.Errorf("New with cap -1: %v", err)
	}
}

// TestDurations: the stats' percentiles are within 0.1% of the exact
// ones; count, mean and max are exact; early answers (negative lateness)
// count as 0 in the percentiles and as themselves in the mean.
func TestDurations(t *testing.T) {
	d := newDurations()
	for i := 1; i <= 1000; i++ {
		d.record(time.Duration(i) * time.Millisecond)
	}
	a, m := d.summaries(0.1)
	for _, tt := range []struct{ got, want float64 }{{a.P50, 0.5}, {a.P90, 0.9}, {a.P99, 0.99}, {a.Max, 1}, {a.Mean, 0.5005}, {m.P50, 5}, {m.Max, 10}} {
		if tt.got < tt.want*0.999 || tt.got > tt.want*1.001 {
			t.Errorf("summary %+v / %+v: got %v, want %v ± 0.1%%", a, m, tt.got, tt.want)
		}
	}
	if a.Count != 1000 {
		t.Errorf("count %d", a.Count)
	}
	late := newDurations()
	for _, v := range []time.Duration{-50 * time.Microsecond, 20 * time.Microsecond, 30 * time.Microsecond} {
		late.record(v)
	}
	if l, _ := late.summaries(1); math.Abs(l.P50-20e-6) > 1e-9 || math.Abs(l.Mean) > 1e-12 || l.Max != 30e-6 {
		t.Errorf("lateness summary %+v", l)
	}
}

func TestListen(t *testing.T) {
	s, err := New(upstream.Config{Latency: "1ms", MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Listen("", s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q", r.URL)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	if code, _, _, err := get(t.Context(), &http.Client{Transport: tr}, r.URL); err != nil || code != 200 {
		t.Errorf("GET: %d %v", code, err)
	}
	tr.CloseIdleConnections()
	if err := r.Shutdown(t.Context()); err != nil {
		t.Error(err)
	}
	if _, err := Listen("256.0.0.1:0", s); err == nil {
		t.Error("Listen on a bad address succeeded")
	}
}
