package results

import (
	"sync"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// LateTolerance is how much later than intended (wall time) an item may
// start before its cell counts it late: a timer's slack on a busy machine.
// The model, which runs in model time at real time, counts against the
// same figure.
const LateTolerance = time.Millisecond

// Schedule is what a rate cell's schedule did (the open model; absent for
// the other strategies). Its cell's Latency is measured from each item's
// intended start (coordinated-omission-aware, as wrk2 measures), and
// Uncorrected from its actual start. Times are model seconds.
type Schedule struct {
	// Started is how many items started before the cell stopped.
	Started int `json:"started"`
	// IntendedRate is the rate asked for, averaged over the schedule:
	// (Started − 1) over the time from the first intended start to the
	// last, items per model second (the rate itself for the constant
	// pacer); 0 with fewer than two starts.
	IntendedRate float64 `json:"intended_rate"`
	// StartRate is the rate the items started at: IntendedRate over the
	// least-squares slope of the actual start times against the intended
	// ones (1 when the starts kept the schedule's pace). A late first or
	// last start, which would move (Started − 1) over the actual span, moves
	// it little; a client that falls behind and stays behind lowers it.
	StartRate float64 `json:"start_rate"`
	// Uncorrected is the item latency from each item's actual start, as
	// a client that waits for a slot before it takes the time measures
	// it; the cell's Latency is from the intended start.
	Uncorrected Percentiles `json:"latency_uncorrected"`
	// Late counts the items that started more than LateTolerance (wall
	// time, LateToleranceSeconds in model time) after their intended
	// start, and Lateness is how late every started item was.
	Late                 int         `json:"late"`
	LateToleranceSeconds float64     `json:"late_tolerance_seconds"`
	Lateness             Percentiles `json:"lateness"`
	// DeadlineSeconds is when the cell stops (its last intended start plus
	// the grace, from the cell's start): items unfinished then failed as
	// "time-limit".
	DeadlineSeconds float64 `json:"deadline_seconds"`
}

// ScheduleRecorder collects a rate cell's starts and its items'
// uncorrected latencies, in wall time from the cell's start; it is safe
// for concurrent use, and its memory does not grow with the items.
type ScheduleRecorder struct {
	uncorrected, lateness *Latencies

	mu                sync.Mutex
	n, late           int
	firstDue, lastDue time.Duration
	deadline          time.Duration
	// sums for the least-squares slope of the actual starts (y) on the
	// intended ones (x), seconds from the first item's (x0, y0)
	x0, y0, sx, sy, sxx, sxy float64
}

// NewScheduleRecorder returns an empty recorder for a cell that stops at
// deadline (wall time from its start).
func NewScheduleRecorder(deadline time.Duration) *ScheduleRecorder {
	return &ScheduleRecorder{uncorrected: NewLatencies(), lateness: NewLatencies(), deadline: deadline}
}

// Start records an item that ought to have started at due and started at
// actual (wall time from the cell's start).
func (s *ScheduleRecorder) Start(due, actual time.Duration) {
	late := max(actual-due, 0)
	s.lateness.Record(late)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		s.firstDue, s.x0, s.y0 = due, due.Seconds(), actual.Seconds()
	}
	s.firstDue, s.lastDue = min(s.firstDue, due), max(s.lastDue, due)
	x, y := due.Seconds()-s.x0, actual.Seconds()-s.y0
	s.sx, s.sy, s.sxx, s.sxy = s.sx+x, s.sy+y, s.sxx+x*x, s.sxy+x*y
	s.n++
	if late > LateTolerance {
		s.late++
	}
}

// End records an item's latency from its actual start (wall time).
func (s *ScheduleRecorder) End(uncorrected time.Duration) { s.uncorrected.Record(uncorrected) }

// Summary is the cell's Schedule in model time at scale.
func (s *ScheduleRecorder) Summary(scale upstream.Scale) *Schedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &Schedule{
		Started:              s.n,
		Uncorrected:          s.uncorrected.Percentiles(scale),
		Late:                 s.late,
		LateToleranceSeconds: scale.ModelSeconds(LateTolerance.Seconds()),
		Lateness:             s.lateness.Percentiles(scale),
		DeadlineSeconds:      scale.ModelSeconds(s.deadline.Seconds()),
	}
	if s.n > 1 {
		if d := scale.ModelSeconds((s.lastDue - s.firstDue).Seconds()); d > 0 {
			out.IntendedRate = float64(s.n-1) / d
		}
		n := float64(s.n)
		if vx := s.sxx - s.sx*s.sx/n; vx > 0 {
			if slope := (s.sxy - s.sx*s.sy/n) / vx; slope > 0 {
				out.StartRate = out.IntendedRate / slope
			}
		}
	}
	return out
}
