package probe_test

import (
	"math"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/fit"
	"github.com/poolbench/poolbench/bench/probe"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// within fails the test unless want lies in the fit's 95% interval of
// the parameter and the interval is narrower than bound: an interval
// that holds want only because it holds everything says nothing.
func within(t *testing.T, f *fit.Fit, name string, param func(fit.Estimate) float64, want, bound float64) {
	t.Helper()
	lo, hi := f.Interval(param)
	t.Logf("%s %.4g in [%.4g, %.4g], want %.4g", name, param(f.Point), lo, hi, want)
	if !(lo <= want && want <= hi) {
		t.Errorf("%s %.4g: its interval [%.4g, %.4g] does not hold the mock's %.4g", name, param(f.Point), lo, hi, want)
	}
	if hi-lo >= bound {
		t.Errorf("%s: interval [%.4g, %.4g] is %.4g wide, want under %.4g", name, lo, hi, hi-lo, bound)
	}
}

// Past its cap the mock resets the connection: the fit says reset, with
// the cap exactly, and fitted.yaml says so.
func TestFitRecoversMockReset(t *testing.T) {
	if testing.Short() {
		t.Skip("probes a mock for seconds")
	}
	url, _ := startMock(t, upstream.Config{Latency: "30ms", Cap: 3, Overflow: upstream.OverflowReset})
	_, f := probeAndFit(t, url, t.TempDir(), probe.Limits{MaxTime: 30 * time.Second})
	e := f.Point
	if e.Cap != 3 || e.Overflow != upstream.OverflowReset {
		t.Errorf("cap %d, overflow %q; want 3, reset", e.Cap, e.Overflow)
	}
	if lo, hi := f.Interval(func(e fit.Estimate) float64 { return float64(e.Cap) }); lo != 3 || hi != 3 {
		t.Errorf("cap interval [%g, %g], want [3, 3]", lo, hi)
	}
	if e.ResetRate != 0 || e.ErrorRate != 0 {
		t.Errorf("reset rate %.4f, error rate %.4f of the admitted requests: want 0 (the resets are the overflow's)", e.ResetRate, e.ErrorRate)
	}
	if u := fittedUpstream(t, f); u.Cap != 3 || u.Overflow != upstream.OverflowReset || u.ResetRate != 0 {
		t.Errorf("fitted.yaml upstream %+v", *u)
	}
}

// The mock answers 5% of its requests with a 500: the fit finds the
// rate inside its interval, with the status, and no overflow from it.
func TestFitRecoversMockErrorRate(t *testing.T) {
	if testing.Short() {
		t.Skip("probes a mock for seconds")
	}
	url, _ := startMock(t, upstream.Config{Latency: "lognormal(median=20ms,sigma=0.2)", Cap: 2, Seed: 5,
		ErrorRate: 0.05, ErrorStatus: 500})
	o, f := probeAndFit(t, url, t.TempDir(), probe.Limits{MaxTime: 30 * time.Second})
	e := f.Point
	if e.ErrorStatus != 500 || e.Cap != 2 || e.Overflow != upstream.OverflowQueue {
		t.Errorf("error status %d, cap %d, overflow %q; want 500, 2, queue", e.ErrorStatus, e.Cap, e.Overflow)
	}
	// The interval must exclude 0, and be no wider than 1.5 times the
	// binomial 95% interval of the attempts the probe made (a probe that
	// stops at pool 4 makes ~220: 0.057 wide at 5%), at most twice the
	// rate.
	errorRate := func(e fit.Estimate) float64 { return e.ErrorRate }
	binomial := 2 * 1.96 * math.Sqrt(0.05*0.95/float64(o.Attempts))
	within(t, f, "error rate", errorRate, 0.05, min(1.5*binomial, 0.1))
	if lo, _ := f.Interval(errorRate); lo <= 0 {
		t.Errorf("error rate interval starts at %.4g: want the errors detected (above 0)", lo)
	}
	if u := fittedUpstream(t, f); u.ErrorStatus != 500 || u.ErrorRate != e.ErrorRate {
		t.Errorf("fitted.yaml upstream %+v", *u)
	}
}

// A queue of at most one request behind a cap of 2, past which the mock
// rejects with 429 and a Retry-After of 3 s: the fit finds the cap, the
// queue and its bound, the status and the Retry-After.
func TestFitRecoversMockBoundedQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("probes a mock for seconds")
	}
	url, _ := startMock(t, upstream.Config{Latency: "30ms", Cap: 2, QueueLimit: 1, RejectStatus: 429,
		RetryAfter: upstream.Duration(3 * time.Second)})
	_, f := probeAndFit(t, url, t.TempDir(), probe.Limits{MaxTime: 30 * time.Second})
	e := f.Point
	if e.Cap != 2 || e.Overflow != upstream.OverflowQueue || e.QueueLimit != 1 || e.RejectStatus != 429 {
		t.Errorf("cap %d, overflow %q, queue limit %d, status %d; want 2, queue, 1, 429", e.Cap, e.Overflow, e.QueueLimit, e.RejectStatus)
	}
	if ra, ok := f.RetryAfter(); !ok || ra != 3*time.Second {
		t.Errorf("Retry-After %v (%v), want 3s", ra, ok)
	}
	if u := fittedUpstream(t, f); u.Cap != 2 || u.QueueLimit != 1 || u.RejectStatus != 429 || u.RetryAfter.D() != 3*time.Second {
		t.Errorf("fitted.yaml upstream %+v", *u)
	}
}

// A mock that never answers 4% of its requests: the fit finds the stall
// rate inside its interval (the probe gives up on an attempt after
// 300 ms), and the cap. A 40 ms service, not 20: at 20 ms a busy
// machine's round trips (a millisecond and more) let pool 4 gain 9% over
// the cap's pool 2, read as contention without a cap (CI, load ~2). The
// probe then makes about 435 attempts, whose binomial 95% interval for 4%
// is about 0.038 wide: the bound asks the interval to be that
// informative (0.05), not narrower than the sample allows.
func TestFitRecoversMockStall(t *testing.T) {
	if testing.Short() {
		t.Skip("probes a mock for seconds")
	}
	url, _ := startMock(t, upstream.Config{Latency: "lognormal(median=40ms,sigma=0.2)", Cap: 2, Seed: 3, StallRate: 0.04})
	_, f := probeAndFit(t, url, t.TempDir(), probe.Limits{MaxTime: 30 * time.Second, Timeout: 300 * time.Millisecond})
	stallRate := func(e fit.Estimate) float64 { return e.StallRate }
	within(t, f, "stall rate", stallRate, 0.04, 0.05)
	if lo, _ := f.Interval(stallRate); lo <= 0 {
		t.Errorf("stall rate interval starts at %.4g: want the stalls detected (above 0)", lo)
	}
	if e := f.Point; e.Cap != 2 || e.ErrorRate != 0 || e.ResetRate != 0 {
		t.Errorf("cap %d, error rate %.4f, reset rate %.4f; want 2, 0, 0", e.Cap, e.ErrorRate, e.ResetRate)
	}
}

// fittedUpstream is the upstream of the fit's fitted.yaml, as read back.
func fittedUpstream(t *testing.T, f *fit.Fit) *upstream.Config {
	t.Helper()
	b, err := f.YAML()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse("fitted.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return sc.Upstream
}
