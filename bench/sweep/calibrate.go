package sweep

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Calibration is this machine's cost per request through poolbench's own
// client and mock, measured in a fraction of a second at the start of a
// run. It is what timescale auto plans with and what the self-check of an
// external target's cells assumes the harness adds.
type Calibration struct {
	// Via is the client path measured.
	Via Via
	// RoundTrip is the wall time an attempt takes beyond the upstream's
	// own time when both sides wake from idle: the loopback round trip
	// and both sides' wake-ups, on a quiet machine.
	RoundTrip time.Duration
	// IdleSamples are those idle round trips one by one: their median is
	// the time beyond the upstream's own that a typical attempt sent one
	// at a time pays, robust to the stalls of a busy machine that the
	// mean carries (bench/fit takes it off, and bootstraps it).
	IdleSamples []time.Duration
	// BusyRoundTrip is the same for requests sent back to back to an
	// upstream that answers at once: no side sleeps long enough to be
	// parked.
	BusyRoundTrip time.Duration
	// CPU is the CPU time one request costs the process, client and mock
	// together, under load.
	CPU time.Duration
	// UpstreamLate is how late the mock's answers leave after their
	// deadlines, on average, on a quiet machine.
	UpstreamLate time.Duration
	// WaitLate is how late a wait between attempts wakes, on average.
	WaitLate time.Duration
}

// Via is the client path a run's cells send through, the one its
// calibration measures.
type Via uint8

const (
	// ViaFastHTTP is fasthttp over HTTP/1.1 (client.go): a plain http://
	// URL, and the embedded mock over HTTP/1.1.
	ViaFastHTTP Via = iota
	// ViaNetHTTP is net/http's Transport over HTTP/1.1 (netclient.go):
	// https://, a tls: block or a targets file.
	ViaNetHTTP
	// ViaHTTP2 is net/http's Transport over HTTP/2: http: 2 of a target or
	// of the embedded mock. It is calibrated over h2c (no TLS).
	ViaHTTP2
)

// String names the path as results.json records it.
func (v Via) String() string {
	return [...]string{"fasthttp", "net/http", "net/http h2"}[v]
}

// ViaOf is the client path sc's cells send through.
func ViaOf(sc *scenario.Scenario) Via {
	switch t := sc.Target; {
	case sc.Upstream != nil && sc.Upstream.HTTP == 2, t != nil && t.HTTP == 2:
		return ViaHTTP2
	case t != nil && (t.TLS != nil || t.Targets != "" || strings.HasPrefix(t.URL, "https:")):
		return ViaNetHTTP
	}
	return ViaFastHTTP
}

// Calibration's workload: idle round trips against a mock that sleeps
// calibrationSleep, back-to-back round trips against one that answers at
// once, a burst of concurrent requests for the CPU cost, then waits of
// several lengths. The sleeps and waits are as long as
// a cell's at the scales auto picks (milliseconds to tens of them): an idle
// spell that long lets the machine park both sides' threads (a virtual
// CPU may be descheduled), and their wake-up is most of what an attempt
// costs; a timer wakes up to a millisecond late, evenly spread when waits
// are not whole milliseconds.
const (
	calibrationIdle   = 16
	calibrationBusy   = 400
	calibrationSleep  = 20 * time.Millisecond
	calibrationBurst  = 2000
	calibrationConc   = 16
	calibrationWaits  = 12
	calibrationWaitOf = 3*time.Millisecond + 300*time.Microsecond // + i × 0.7 ms
)

// Calibrate measures this machine's cost per request through the client
// path via (about 0.5 s), with the idle round trips measured as
// concurrent chains (one per cell the sweep runs at once, at most
// maxChains), each against a mock of its own, as the cells will run: their
// threads wake on the same CPUs.
func Calibrate(ctx context.Context, concurrent int, via Via) (Calibration, error) {
	cal := Calibration{Via: via}
	idle, err := calibrateIdle(ctx, min(max(concurrent, 1), maxChains), via)
	if err != nil {
		return cal, err
	}
	cal.RoundTrip, cal.IdleSamples, cal.UpstreamLate = idle.RoundTrip, idle.IdleSamples, idle.UpstreamLate
	if cal.BusyRoundTrip, err = calibrateBusy(ctx, via); err != nil {
		return cal, err
	}
	if cal.CPU, err = calibrateCPU(ctx, via); err != nil {
		return cal, err
	}
	wk := newWaker()
	defer wk.close()
	late := make([]time.Duration, calibrationWaits)
	for i := range late {
		l, ok := wk.sleep(ctx, calibrationWaitOf+time.Duration(i)*700*time.Microsecond)
		if !ok {
			return cal, ctx.Err()
		}
		late[i] = l
	}
	cal.WaitLate = median(late)
	return cal, nil
}

// median is the median of ds (sorted in place).
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// calibrationTarget is a mock at real time and a client for it that
// reads the time the mock says it spent on each attempt, warmed up:
// connected, so that round trips measure round trips, not a handshake.
type calibrationTarget struct {
	mock *mocksrv.Server
	c    *client
	stop func() error
	pool int
	st   scenario.Strategy
}

func newCalibrationTarget(ctx context.Context, lat string, st scenario.Strategy, pool int, via Via) (*calibrationTarget, error) {
	cfg := upstream.Config{Latency: lat}
	if via == ViaHTTP2 {
		cfg.HTTP = 2
	}
	mock, url, stop, err := startUpstream(cfg, upstream.RealTime)
	if err != nil {
		return nil, err
	}
	cl := (&scenario.Scenario{}).WithDefaults().Client
	cl.Retry.MaxAttempts = 1
	t := target{url: url, method: http.MethodGet, mockTimes: true}
	if via != ViaFastHTTP {
		t.net = mockRequests(url, via == ViaHTTP2)
	}
	c, err := newClient(t, cl, upstream.RealTime, pool, false)
	if err != nil {
		stop()
		return nil, err
	}
	ct := &calibrationTarget{mock: mock, c: c, stop: stop, pool: pool, st: st}
	if err := ct.run(ctx, pool); err != nil {
		ct.close()
		return nil, err
	}
	return ct, nil
}

func (t *calibrationTarget) close() {
	t.c.closeIdle()
	t.stop()
}

// run sends n requests as a cell of the target's strategy and pool.
func (t *calibrationTarget) run(ctx context.Context, n int) error {
	cell := newCellRun(t.c, scenario.CellPlan{Strategy: t.st, Pool: t.pool}, n, 1, nil, nil).run(ctx)
	if cell.Succeeded != n {
		return fmt.Errorf("calibration: %d of %d requests to the mock failed: %v (is the machine out of file descriptors or memory?)", n-cell.Succeeded, n, cell.Failures)
	}
	return nil
}

// roundTrips sends n requests one after another and returns, for each,
// the time the client measured beyond what the mock says it spent, and
// how much longer than service the mock says it spent (its lateness: no
// queue, no contention).
func (t *calibrationTarget) roundTrips(ctx context.Context, n int, service time.Duration) (added, late []time.Duration, err error) {
	var clock startClock
	for range n {
		var a attempt
		t.c.send(ctx, &clock, &a, 0)
		if !a.ok() || a.upstream < 0 {
			return nil, nil, fmt.Errorf("calibration: a request to the mock failed: %s %v (is the machine out of file descriptors or memory?)", a.outcome(), a.err)
		}
		added = append(added, max(a.latency-a.upstream, 0))
		late = append(late, max(a.upstream-service, 0))
	}
	return added, late, nil
}

// busy is the time a mock spent queueing and serving requests, seconds.
func busy(s mocksrv.Stats) float64 {
	return s.QueueWait.Mean*float64(s.QueueWait.Count) + s.ServiceTime.Mean*float64(s.ServiceTime.Count)
}

// maxChains bounds the concurrent chains of idle round trips.
const maxChains = 8

// calibrateIdle measures idle round trips one by one in chains concurrent
// chains, by what the client measured beyond what the mock says it spent,
// and returns their mean (a cell's error is the mean's; a plan that reads
// it low runs its longest cells twice), themselves and the mock's mean
// lateness.
func calibrateIdle(ctx context.Context, chains int, via Via) (Calibration, error) {
	added := make([][]time.Duration, chains)
	late := make([][]time.Duration, chains)
	errs := make([]error, chains)
	var wg sync.WaitGroup
	for i := range chains {
		wg.Go(func() {
			// Chains of one period would send in lockstep, as cells do not.
			sleep := calibrationSleep + time.Duration(i)*1300*time.Microsecond
			t, err := newCalibrationTarget(ctx, sleep.String(), scenario.Serial, 1, via)
			if err != nil {
				errs[i] = err
				return
			}
			defer t.close()
			added[i], late[i], errs[i] = t.roundTrips(ctx, calibrationIdle, sleep)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Calibration{}, err
	}
	all := slices.Concat(added...)
	return Calibration{RoundTrip: mean(all), IdleSamples: all, UpstreamLate: mean(slices.Concat(late...))}, nil
}

// mean is the mean of ds.
func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

// calibrateBusy measures back-to-back round trips to a mock that answers
// at once: their mean time beyond the mock's.
func calibrateBusy(ctx context.Context, via Via) (time.Duration, error) {
	t, err := newCalibrationTarget(ctx, "0s", scenario.Serial, 1, via)
	if err != nil {
		return 0, err
	}
	defer t.close()
	added, _, err := t.roundTrips(ctx, calibrationBusy, 0)
	if err != nil {
		return 0, err
	}
	return mean(added), nil
}

func calibrateCPU(ctx context.Context, via Via) (time.Duration, error) {
	t, err := newCalibrationTarget(ctx, "0s", scenario.Pooled, calibrationConc, via)
	if err != nil {
		return 0, err
	}
	defer t.close()
	cpu0 := processCPU()
	if err := t.run(ctx, calibrationBurst); err != nil {
		return 0, err
	}
	return (processCPU() - cpu0) / calibrationBurst, nil
}
