package results

import (
	"math"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestScheduleStartRate: items due every 10 ms that start on time start
// at 100/s; a first and a last start 30 ms late (which would make
// (n − 1) / span 98.5/s or 101.5/s) leave it within 0.5%; a client that
// takes 11 ms per start falls behind at 1/1.1 of the pace.
func TestScheduleStartRate(t *testing.T) {
	rate := func(actual func(k int, due time.Duration) time.Duration) *Schedule {
		r := NewScheduleRecorder(3 * time.Second)
		for k := range 200 {
			due := time.Duration(k+1) * 10 * time.Millisecond
			r.Start(due, actual(k, due))
		}
		return r.Summary(upstream.RealTime)
	}
	onTime := rate(func(_ int, due time.Duration) time.Duration { return due })
	if onTime.IntendedRate != 100 || math.Abs(onTime.StartRate-100) > 1e-6 || onTime.Late != 0 || onTime.Started != 200 {
		t.Errorf("on time: %+v", onTime)
	}
	ends := rate(func(k int, due time.Duration) time.Duration {
		if k == 0 || k == 199 {
			return due + 30*time.Millisecond
		}
		return due
	})
	if math.Abs(ends.StartRate-100) > 0.5 || ends.Late != 2 || ends.Lateness.Max < 0.0299 {
		t.Errorf("late first and last: start rate %g, %d late, lateness %+v", ends.StartRate, ends.Late, ends.Lateness)
	}
	behind := rate(func(k int, _ time.Duration) time.Duration { return time.Duration(k+1) * 11 * time.Millisecond })
	if want := 100 / 1.1; math.Abs(behind.StartRate-want) > 1e-6*want {
		t.Errorf("behind: start rate %g, want %g", behind.StartRate, want)
	}
}
