package strategy

import (
	"math"
	"time"
)

// MaxTracePoints bounds a Trace's points, so a cell's memory does not grow
// with its items.
const MaxTracePoints = 256

// Trace is a strategy's concurrency limit over a cell, in model time.
type Trace struct {
	// Mean is the limit's time-weighted mean over the cell.
	Mean float64 `json:"mean"`
	// Min, Max and Final are the lowest, highest and last limit.
	Min   int `json:"min"`
	Max   int `json:"max"`
	Final int `json:"final"`
	// Points are [model seconds from the cell's start, limit], in time
	// order, at most MaxTracePoints: every change while they fit, then
	// thinned to evenly spaced ones (every other point dropped and the
	// spacing doubled whenever they fill up).
	Points [][2]float64 `json:"points"`
}

// tracer records a limit as it changes.
type tracer struct {
	started    bool
	last       int           // the limit since at
	at         time.Duration // when it took that value
	area       float64       // ∫ limit dt so far, limit·seconds
	min, max   int
	points     [][2]float64
	step       time.Duration // least spacing between points
	lastPoint  time.Duration
	unrecorded bool // the last change has no point yet (spacing)
}

// observe notes the limit l at now.
func (t *tracer) observe(now time.Duration, l int) {
	if !t.started {
		t.started, t.last, t.at, t.min, t.max = true, l, now, l, l
		t.point(now, l)
		return
	}
	if l == t.last {
		return
	}
	t.area += float64(t.last) * (now - t.at).Seconds()
	t.last, t.at = l, now
	t.min, t.max = min(t.min, l), max(t.max, l)
	if now-t.lastPoint >= t.step {
		t.point(now, l)
	} else {
		t.unrecorded = true
	}
}

func (t *tracer) point(now time.Duration, l int) {
	if len(t.points) == MaxTracePoints {
		kept := t.points[:0]
		for i := 0; i < len(t.points); i += 2 {
			kept = append(kept, t.points[i])
		}
		t.points = kept
		t.step = max(2*t.step, time.Duration(float64(time.Second)*(now.Seconds()-t.points[0][0])/MaxTracePoints))
	}
	t.points = append(t.points, [2]float64{now.Seconds(), float64(l)})
	t.lastPoint = now
	t.unrecorded = false
}

// result is the trace up to end (nil when nothing was observed).
func (t *tracer) result(end time.Duration) *Trace {
	if !t.started {
		return nil
	}
	area := t.area + float64(t.last)*(end-t.at).Seconds()
	pts := append([][2]float64(nil), t.points...)
	if t.unrecorded {
		pts = append(pts, [2]float64{t.at.Seconds(), float64(t.last)})
	}
	tr := &Trace{Min: t.min, Max: t.max, Final: t.last, Points: pts, Mean: float64(t.last)}
	if d := end.Seconds(); d > 0 {
		tr.Mean = area / d
	}
	return tr
}

// Traced is a strategy that records its limit; drivers put its Trace in
// the cell.
type Traced interface {
	Trace(end time.Duration) *Trace
}

// Range is the lowest and highest limit in force between model seconds
// from and until, as far as the points tell (ok false: no point).
func (t *Trace) Range(from, until float64) (lo, hi float64, ok bool) {
	lo = math.Inf(1)
	for i, p := range t.Points {
		if i+1 < len(t.Points) && t.Points[i+1][0] <= from || p[0] > until {
			continue
		}
		lo, hi, ok = min(lo, p[1]), max(hi, p[1]), true
	}
	return lo, hi, ok
}

// Recovered is when the limit first rose after its first drop (model
// seconds; 0 if it never did): the end of AIMD's warm-up, slow start and
// the cascade of decreases that brings an overshoot back under the cap.
func (t *Trace) Recovered() float64 {
	dropped := false
	for i := 1; i < len(t.Points); i++ {
		switch {
		case t.Points[i][1] < t.Points[i-1][1]:
			dropped = true
		case dropped && t.Points[i][1] > t.Points[i-1][1]:
			return t.Points[i][0]
		}
	}
	return 0
}
