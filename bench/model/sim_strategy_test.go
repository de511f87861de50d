package model

import (
	"context"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// paced starts an item every gap (asking to be woken for the next) and
// counts what it is told.
type paced struct {
	gap         time.Duration
	next        time.Duration
	ended, over int
}

func (s *paced) Next(now time.Duration, _ int) (bool, time.Duration) {
	if now < s.next {
		return false, s.next - now
	}
	s.next = now + s.gap
	return true, 0
}

func (s *paced) Ended(_ time.Duration, o strategy.Outcome) {
	s.ended++
	if o.Overload {
		s.over++
	}
}

// TestSimDrivesStrategy: the simulator wakes a strategy when it asks and
// tells it every outcome, overloads included: 5 items paced 1 s apart on
// a 100 ms upstream end at 4.1 s; against a rejecting cap of 1 with items
// 10 ms apart, all but the first are rejected.
func TestSimDrivesStrategy(t *testing.T) {
	st := &paced{gap: time.Second}
	m := newSim(ptr(params(5, 100*time.Millisecond, upstream.Config{Cap: 10})))
	if err := m.startFleet(func(int) (strategy.Strategy, error) { return st, nil }); err != nil {
		t.Fatal(err)
	}
	if err := m.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m.wall != int64(4100*time.Millisecond) || st.ended != 5 || st.over != 0 {
		t.Errorf("wall %v, %d ended, %d overloads; want 4.1s, 5, 0", time.Duration(m.wall), st.ended, st.over)
	}

	st = &paced{gap: 10 * time.Millisecond}
	p := params(5, 100*time.Millisecond, upstream.Config{Cap: 1, Overflow: upstream.OverflowReject})
	p.MaxAttempts, p.Retry = 1, nil
	m = newSim(&p)
	if err := m.startFleet(func(int) (strategy.Strategy, error) { return st, nil }); err != nil {
		t.Fatal(err)
	}
	if err := m.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.ended != 5 || st.over != 4 || m.ok != 1 {
		t.Errorf("%d ended, %d overloads, %d ok; want 5, 4, 1", st.ended, st.over, m.ok)
	}
}

func ptr[T any](v T) *T { return &v }
