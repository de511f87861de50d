package mocksrv

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestFaults: error_rate 1 answers every request with error_status after
// the latency; the draws are seeded.
func TestFaults(t *testing.T) { forEngines(t, testFaults) }

func testFaults(t *testing.T, e Engine) {
	s, ts, c := start(t, e, upstream.Config{Latency: "2ms", ErrorRate: 1, ErrorStatus: 502, BodyBytes: 100})
	for range 5 {
		code, body, h, err := get(t.Context(), c, ts.URL)
		if err != nil || code != 502 {
			t.Fatalf("got %d %v, want 502", code, err)
		}
		var a answer
		if err := json.Unmarshal(body, &a); err != nil || len(a.Padding) != 100 || a.Status != 502 {
			t.Errorf("body %q (%v), want status 502 and 100 bytes of padding", body, err)
		}
		if d, err := time.ParseDuration(h.Get("X-Mock-Latency")); err != nil || d < 2*time.Millisecond*95/100 {
			t.Errorf("X-Mock-Latency %q", h.Get("X-Mock-Latency"))
		}
		if _, err := time.ParseDuration(h.Get("X-Mock-Queue-Wait")); err != nil {
			t.Errorf("X-Mock-Queue-Wait %q", h.Get("X-Mock-Queue-Wait"))
		}
	}
	st := s.Stats()
	if st.ErrorsInjected != 5 || st.Completed != 5 {
		t.Errorf("counters %+v, want 5 completed with injected errors", st.Counters)
	}

}

// TestKeyedDraw: a request that sends upstream.DrawHeader gets the draw of
// that key, whatever its arrival number; one without gets its arrival
// number's; a malformed key counts as none.
func TestKeyedDraw(t *testing.T) { forEngines(t, testKeyedDraw) }

func testKeyedDraw(t *testing.T, e Engine) {
	// Half the requests fail: which ones is the draw's, so the status
	// tells which key drew.
	cfg := upstream.Config{Latency: "1ms", ErrorRate: 0.5, Seed: 9}
	s, ts, c := start(t, e, cfg)
	lat, err := upstream.ParseLatency(cfg.Latency)
	if err != nil {
		t.Fatal(err)
	}
	d := upstream.NewDrawer(s.Config(), lat)
	status := func(key uint64) int {
		if d.Draw(key).Fault == upstream.FaultError {
			return s.Config().ErrorStatus
		}
		return http.StatusOK
	}
	// keyFor is an attempt key whose draw differs from arrival n's, so a
	// mock that ignored the header would fail the check.
	keyFor := func(n uint64) uint64 {
		for item := 1; ; item++ {
			if k := upstream.DrawKey(item, 1); status(k) != status(n) {
				return k
			}
		}
	}
	var n uint64
	for i, header := range []string{"", "key", "", "12x", "0", "key", "key"} {
		n++
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL, nil)
		key := n
		switch header {
		case "key":
			key = keyFor(n)
			req.Header.Set(upstream.DrawHeader, strconv.FormatUint(key, 10))
		case "":
		default: // malformed: drawn by arrival
			req.Header.Set(upstream.DrawHeader, header)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != status(key) {
			t.Errorf("request %d (draw header %q): status %d, want %d (the draw of key %d)", i, header, resp.StatusCode, status(key), key)
		}
	}
}

// TestStallAndResetFaults: a stalled request gets no answer until the
// client gives up; a reset fault resets after the latency.
func TestStallAndResetFaults(t *testing.T) { forEngines(t, testStallAndResetFaults) }

func testStallAndResetFaults(t *testing.T, e Engine) {
	s, ts, c := start(t, e, upstream.Config{Latency: "1ms", StallRate: 1})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	_, _, _, err := get(ctx, c, ts.URL)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stalled request: %v, want the client's deadline", err)
	}
	st := s.Stats()
	checkBalance(t, st.Counters)
	if st.Stalled != 1 || st.InFlight != 0 {
		t.Errorf("counters %+v, want stalled 1 and the slot free", st.Counters)
	}

	s2, ts2, _ := start(t, e, upstream.Config{Latency: "1ms", ResetRate: 1})
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, _, _, err := get(t.Context(), fresh, ts2.URL); err == nil {
		t.Error("reset fault: request succeeded")
	}
	if st := s2.Stats(); st.Reset < 1 || st.Completed != 0 {
		t.Errorf("counters %+v, want reset ≥ 1", st.Counters)
	}
}
