package probe_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/bench/fit"
	"github.com/poolbench/poolbench/bench/probe"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/sweep"
	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"), goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

// startMock serves cfg on 127.0.0.1 for the test and returns its item URL
// and the mock (for its own counters).
func startMock(t *testing.T, cfg upstream.Config) (string, *mocksrv.Server) {
	t.Helper()
	srv, err := mocksrv.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	running, err := mocksrv.Listen("127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		running.Shutdown(ctx)
	})
	return running.URL + "/item", srv
}

// probeAndFit probes url and fits what it measured, as `poolbench probe`
// does, in dir.
func probeAndFit(t *testing.T, url, dir string, l probe.Limits) (*probe.Outcome, *fit.Fit) {
	t.Helper()
	ctx := context.Background()
	rec, err := os.Create(filepath.Join(dir, "requests.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	target := scenario.Target{URL: url}
	o, err := probe.Run(ctx, probe.Options{Target: target, Name: "probe-test", Limits: l, ErrorBudget: 0.2, Records: rec})
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if pool, ok := probe.Rejected(o); ok {
		look, err := probe.LookAtRejection(ctx, target, pool, time.Second, false)
		if err != nil || look == nil {
			t.Fatalf("looking at a rejection: %v, %v", look, err)
		}
		b, _ := json.Marshal(look)
		if err := os.WriteFile(filepath.Join(dir, fit.RejectLookFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := results.Write(filepath.Join(dir, "results.json"), o.Results); err != nil {
		t.Fatal(err)
	}
	f, err := fit.Dir(ctx, dir, fit.Options{})
	if err != nil {
		t.Fatalf("fit: %v", err)
	}
	t.Logf("stopped: %s; %d attempts; fit: %+v", o.Stopped, o.Attempts, f.Point)
	return o, f
}

// The fit recovers a mock's known parameters: the cap exactly, the
// median within 2%, the overflow, and the contention within 0.01.
func TestFitRecoversMockQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("probes a mock for seconds")
	}
	const latency = 40 * time.Millisecond
	url, srv := startMock(t, upstream.Config{Latency: "40ms", Cap: 4, Contention: 0.05})
	dir := t.TempDir()
	o, f := probeAndFit(t, url, dir, probe.Limits{MaxTime: 30 * time.Second})
	e := f.Point
	if e.Cap != 4 || e.Overflow != upstream.OverflowQueue {
		t.Errorf("cap %d, overflow %q; want 4, queue", e.Cap, e.Overflow)
	}
	// The service is what the mock did: 40 ms plus how late its own
	// answers left on this machine (its median lateness, measured by the
	// mock); the client's side is the fit's to take off.
	late := srv.Stats().Lateness.P50
	want := latency.Seconds() + late
	d := (e.Median - want) / latency.Seconds()
	t.Logf("median %.4f ms (%+.2f%%), round trip %.4f ms + wake-up %.4f ms taken off", 1000*e.Median, 100*d, 1000*e.RoundTrip, 1000*e.Wakeup)
	if math.Abs(d) > 0.02 {
		t.Errorf("median %.4f s, %+.1f%% of %v off %v plus the mock's lateness %.3f ms", e.Median, 100*d, latency, latency, 1000*late)
	}
	if math.Abs(e.Contention-0.05) > 0.01 {
		t.Errorf("contention %.4f, want 0.05 ± 0.01", e.Contention)
	}
	checkFresh(t, url, o, f)
}

// checkFresh measures pools the probe did not run, 2× and 8× its
// largest, against url, three times each: the median of each pool's
// measurements is within the fitted model's range (cells the harness
// flags are logged, not checked).
func checkFresh(t *testing.T, url string, o *probe.Outcome, f *fit.Fit) {
	t.Helper()
	largest := o.Results.Scenario.Sweep.PoolSizes[len(o.Results.Scenario.Sweep.PoolSizes)-1]
	pools := []int{2 * largest, 8 * largest}
	sc := scenario.Scenario{Name: "fresh", Items: 160, ErrorBudget: 0.1, Target: &scenario.Target{URL: url},
		Client: scenario.Client{Timeout: upstream.Duration(10 * time.Second), Retry: scenario.Retry{MaxAttempts: 1}},
		Sweep:  scenario.Sweep{Strategies: []scenario.Strategy{scenario.Pooled}, PoolSizes: pools, Repeats: 3}}
	sc = sc.WithDefaults()
	fresh, err := sweep.Run(context.Background(), &sc, sweep.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs, skipped, err := f.CheckRun(context.Background(), fresh)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) > 0 {
		t.Logf("not checked: the harness flagged %v", skipped)
	}
	for _, r := range rs {
		t.Logf("%s: measured %.4g s, predicted %.4g s in [%.4g, %.4g]", r.Label, r.Measured, r.Predicted, r.Low, r.High)
	}
	for _, r := range fit.Outside(rs) {
		t.Errorf("%s: measured %.4g s, outside the predicted range [%.4g, %.4g]", r.Label, r.Measured, r.Low, r.High)
	}
}

// Past its cap the mock rejects with 429 and a Retry-After of 2 s: the
// fit says so, and writes both into fitted.yaml.
func TestFitRecoversMockReject(t *testing.T) {
	if testing.Short() {
		t.Skip("probes a mock for seconds")
	}
	url, _ := startMock(t, upstream.Config{Latency: "60ms", Cap: 3, Overflow: upstream.OverflowReject,
		RejectStatus: 429, RetryAfter: upstream.Duration(2 * time.Second)})
	dir := t.TempDir()
	_, f := probeAndFit(t, url, dir, probe.Limits{MaxTime: 30 * time.Second})
	e := f.Point
	if e.Cap != 3 || e.Overflow != upstream.OverflowReject || e.RejectStatus != 429 {
		t.Errorf("cap %d, overflow %q, status %d; want 3, reject, 429", e.Cap, e.Overflow, e.RejectStatus)
	}
	if ra, ok := f.RetryAfter(); !ok || ra != 2*time.Second {
		t.Errorf("Retry-After %v (%v), want 2s", ra, ok)
	}
	if math.Abs(e.Contention) > 0.01 {
		t.Errorf("contention %.4f, want 0 ± 0.01", e.Contention)
	}
	if u := fittedUpstream(t, f); u.Cap != 3 || u.RejectStatus != 429 || u.RetryAfter.D() != 2*time.Second {
		t.Errorf("fitted.yaml upstream %+v", *u)
	}
}
