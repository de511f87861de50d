package sweep

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Calibration is this machine's cost per request through poolbench's own
// client and mock, measured in a fraction of a second at the start of a
// run. It is what timescale auto plans with and what the self-check of an
// external target's cells assumes the harness adds.
type Calibration struct {
	// RoundTrip is the wall time an attempt takes beyond the upstream's
	// own time when both sides wake from idle: the loopback round trip
	// and both sides' wake-ups, on a quiet machine.
	RoundTrip time.Duration
	// CPU is the CPU time one request costs the process, client and mock
	// together, under load.
	CPU time.Duration
	// UpstreamLate is how late the mock's answers leave after their
	// deadlines, on average, on a quiet machine.
	UpstreamLate time.Duration
	// WaitLate is how late a wait between attempts wakes, on average.
	WaitLate time.Duration
}

// Calibration's workload: idle round trips against a mock that sleeps
// calibrationSleep (so both sides go idle, as in a cell), then a burst of
// back-to-back requests for the CPU cost, then a few waits.
const (
	calibrationIdle   = 40
	calibrationSleep  = 2 * time.Millisecond
	calibrationBurst  = 2000
	calibrationConc   = 16
	calibrationWaits  = 10
	calibrationWaitOf = time.Millisecond
)

// Calibrate measures this machine's cost per request (about 0.2 s).
func Calibrate(ctx context.Context) (Calibration, error) {
	var cal Calibration
	idle, err := calibrateIdle(ctx)
	if err != nil {
		return cal, err
	}
	cal.RoundTrip, cal.UpstreamLate = idle.RoundTrip, idle.UpstreamLate
	if cal.CPU, err = calibrateCPU(ctx); err != nil {
		return cal, err
	}
	var late time.Duration
	for range calibrationWaits {
		l, ok := sleep(ctx, calibrationWaitOf)
		if !ok {
			return cal, ctx.Err()
		}
		late += l
	}
	cal.WaitLate = late / calibrationWaits
	return cal, nil
}

// calibrationCell runs n items at pool against a mock of latency lat at
// real time, and returns the run and the mock's stats.
func calibrationCell(ctx context.Context, lat string, st scenario.Strategy, pool, n int) (*cellRun, *upstreamStats, error) {
	mock, url, stop, err := startUpstream(upstream.Config{Latency: lat}, upstream.RealTime)
	if err != nil {
		return nil, nil, err
	}
	defer stop()
	cl := (&scenario.Scenario{}).WithDefaults().Client
	cl.Retry.MaxAttempts = 1
	c, err := newClient(target{url: url, method: http.MethodGet}, cl, upstream.RealTime, pool, n, false)
	if err != nil {
		return nil, nil, err
	}
	defer c.closeIdle()
	r := newCellRun(c, scenario.CellPlan{Strategy: st, Pool: pool}, n, 1, nil, nil)
	cell := r.run(ctx)
	if cell.Succeeded != n {
		return nil, nil, fmt.Errorf("calibration: %d of %d requests to the mock failed: %v", n-cell.Succeeded, n, cell.Failures)
	}
	s := mock.Stats()
	return r, &upstreamStats{s.QueueWait.Mean*float64(s.QueueWait.Count) + s.ServiceTime.Mean*float64(s.ServiceTime.Count), s.Lateness.Mean}, nil
}

// upstreamStats is what the calibration reads of its mock: the time it
// spent on the requests in all, and its mean lateness (seconds).
type upstreamStats struct{ total, late float64 }

func calibrateIdle(ctx context.Context) (Calibration, error) {
	r, st, err := calibrationCell(ctx, calibrationSleep.String(), scenario.Serial, 1, calibrationIdle)
	if err != nil {
		return Calibration{}, err
	}
	added := (time.Duration(r.attemptTime.Load()).Seconds() - st.total) / calibrationIdle
	return Calibration{
		RoundTrip:    time.Duration(max(added, 0) * float64(time.Second)),
		UpstreamLate: time.Duration(max(st.late, 0) * float64(time.Second)),
	}, nil
}

func calibrateCPU(ctx context.Context) (time.Duration, error) {
	cpu0 := processCPU()
	if _, _, err := calibrationCell(ctx, "0s", scenario.Pooled, calibrationConc, calibrationBurst); err != nil {
		return 0, err
	}
	return (processCPU() - cpu0) / calibrationBurst, nil
}
