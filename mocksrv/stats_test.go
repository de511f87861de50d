package mocksrv

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestStatsUnderLoad fires thousands of concurrent requests with every
// outcome (queue, queue-full rejections, faults, client timeouts) while a
// checker asserts the balance on every snapshot.
func TestStatsUnderLoad(t *testing.T) { forEngines(t, testStatsUnderLoad) }

func testStatsUnderLoad(t *testing.T, e Engine) {
	const total, workers = 2000, 64
	s, ts, c := start(t, e, upstream.Config{Latency: "uniform(0s,2ms)", Cap: 8, QueueLimit: 16,
		ErrorRate: 0.1, ResetRate: 0.05, StallRate: 0.01, Seed: 7})
	stop := make(chan struct{})
	var snapshots atomic.Int64
	checker := make(chan struct{})
	go func() {
		defer close(checker)
		for {
			select {
			case <-stop:
				return
			default:
			}
			s.mu.Lock()
			st := Stats{Counters: s.c}
			s.mu.Unlock()
			checkBalance(t, st.Counters)
			if st.InFlight > 8 || st.Queued > 16 || st.InFlight < 0 || st.Queued < 0 {
				t.Errorf("gauges out of bounds: %+v", st.Counters)
			}
			if snapshots.Add(1)%100 == 0 {
				checkBalance(t, s.Stats().Counters)
			}
			time.Sleep(10 * time.Microsecond)
		}
	}()
	var next atomic.Int64
	var wg sync.WaitGroup
	var answered atomic.Int64
	for w := range workers {
		wg.Go(func() {
			for next.Add(1) <= total {
				timeout := time.Second // stalled requests wait this long
				if w%4 == 0 {
					// some give up while queued or in service
					timeout = time.Duration(1+next.Load()%20) * time.Millisecond
				}
				ctx, cancel := context.WithTimeout(t.Context(), timeout)
				_, _, _, err := get(ctx, c, ts.URL)
				cancel()
				if err == nil {
					answered.Add(1)
				}
			}
		})
	}
	wg.Wait()
	st := waitFor(t, s, "idle", func(st Stats) bool { return st.InFlight == 0 && st.Queued == 0 })
	close(stop)
	<-checker
	checkBalance(t, st.Counters)
	if st.Requests < answered.Load() || st.Requests > total*2 || answered.Load() < total/4 {
		t.Errorf("requests %d, answered %d of %d", st.Requests, answered.Load(), total)
	}
	if st.PeakInFlight != 8 || st.Completed == 0 || st.Rejected == 0 || st.Canceled == 0 || st.Stalled == 0 || st.Reset == 0 || st.ErrorsInjected == 0 {
		t.Errorf("expected every outcome: %+v", st.Counters)
	}
	t.Logf("%d snapshots; %+v", snapshots.Load(), st.Counters)

	// ResetStats keeps the balance and zeroes the rest.
	s.ResetStats()
	st = s.Stats()
	checkBalance(t, st.Counters)
	if st.Requests != 0 || st.ServiceTime.Count != 0 || st.QueueWait.Count != 0 {
		t.Errorf("after ResetStats: %+v", st)
	}
}

// TestControlEndpoints: GET /_mock/stats and POST /_mock/reset.
func TestControlEndpoints(t *testing.T) { forEngines(t, testControlEndpoints) }

func testControlEndpoints(t *testing.T, e Engine) {
	_, ts, c := start(t, e, upstream.Config{Latency: "1ms", Timescale: 0.5})
	for range 3 {
		if code, _, _, err := get(t.Context(), c, ts.URL+"/anything"); err != nil || code != 200 {
			t.Fatalf("%d %v", code, err)
		}
	}
	code, body, _, err := get(t.Context(), c, ts.URL+"/_mock/stats")
	if err != nil || code != 200 {
		t.Fatalf("stats: %d %v", code, err)
	}
	var st Stats
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if st.Requests != 3 || st.Completed != 3 || st.Timescale != 0.5 || st.ServiceTime.Count != 3 {
		t.Errorf("stats %s", body)
	}
	if m, a := st.ModelServiceTime.Max, st.ServiceTime.Max; a <= 0 || m != a/0.5 {
		t.Errorf("model max %v, applied max %v: want model = applied / timescale", m, a)
	}
	resp, err := c.Post(ts.URL+"/_mock/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(body, &st); err != nil || st.Requests != 0 || resp.StatusCode != 200 {
		t.Errorf("reset: %d %s", resp.StatusCode, body)
	}
	resp, err = c.Post(ts.URL+"/_mock/stats", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /_mock/stats: %d, want 405", resp.StatusCode)
	}
	resp, err = c.Post(ts.URL+"/upload", "text/plain", strings.NewReader(strings.Repeat("x", MaxRequestBody+1)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", resp.StatusCode)
	}
}
