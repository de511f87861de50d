package model

import (
	"math"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
)

// A rate cell's schedule in the simulation, as the runner keeps it
// (bench/sweep/cell.go): each item's latency from its intended start, the
// uncorrected one from its actual start, how late it started, and the
// cell's deadline, at which the items not finished fail as "time-limit".

// startSchedule sets up the recorder and the deadline when the clients'
// strategy is scheduled (the latest client's deadline: a fleet stops
// together).
func (m *sim) startSchedule() {
	for _, f := range m.fleet {
		sch, ok := f.st.(strategy.Scheduled)
		if !ok {
			return
		}
		m.deadline = max(m.deadline, int64(sch.Deadline()))
	}
	m.sched = results.NewScheduleRecorder(time.Duration(m.deadline))
}

// record books item it's latency, ended at end.
func (m *sim) record(it *itemState, end int64) {
	m.lat.Record(time.Duration(end - it.due))
	if m.sched != nil {
		m.sched.End(time.Duration(end - it.start))
	}
}

// pastDeadline reports whether the next thing to happen comes after the
// cell's deadline; event is the next event's time (math.MaxInt64: none).
func (m *sim) pastDeadline(event int64) bool {
	if m.deadline == 0 || m.finished == len(m.items) {
		return false
	}
	next := int64(-1)
	if event != math.MaxInt64 {
		next = event
	}
	if m.tq.len() > 0 && (next < 0 || m.tq.front().at < next) {
		next = m.tq.front().at
	}
	return next > m.deadline
}

// cutOff stops the cell at its deadline, as the runner cancels what is in
// flight: an attempt under way ends "canceled" at the upstream (queued or
// in service) and for the client; every unfinished item fails as
// "time-limit", its latency taken to the deadline; items never started
// fail without one.
func (m *sim) cutOff() {
	m.now = m.deadline
	for i := range m.items {
		it := &m.items[i]
		if it.phase == phDone {
			continue
		}
		m.finished++
		if it.att == 0 {
			m.timeLimited(0)
			continue
		}
		switch it.phase {
		case phQueued:
			m.queued--
			m.c.Canceled++
		case phService:
			m.inFlight--
			m.c.Canceled++
		}
		if it.phase != phWaiting {
			m.canceled++
		}
		it.phase = phDone
		m.timeLimited(int(it.att))
		m.record(it, m.now)
	}
	m.wall = m.deadline
}

// timeLimited books an item the deadline stopped after attempts.
func (m *sim) timeLimited(attempts int) {
	if m.cut == nil {
		m.cut = map[string]int{}
	}
	m.cut[results.FailureClass(scenario.OutcomeTimeLimit, attempts)]++
}
