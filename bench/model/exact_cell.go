package model

import (
	"context"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Central is cell (s, pool) of p as Simulate returns it, bit for bit, and
// whether the closed formula gave it (Exact applies): then in O(in flight
// + lanes) steps instead of event by event.
func Central(ctx context.Context, p Params, s scenario.Strategy, pool int) (c results.Cell, exact bool, err error) {
	if c, ok := exactCell(p, s, pool); ok {
		return c, true, nil
	}
	c, err = Simulate(ctx, p, s, pool)
	return c, false, err
}

// exactCell is the cell Simulate returns for a cell Exact covers, bit for
// bit, computed from the closed formula instead of event by event: in
// O(in flight + lanes) steps and memory, not O(items) memory and
// O(items × log in flight) steps. ok is false where Exact does not apply,
// or where an attempt, computed in the simulation's integer nanoseconds,
// would outlast the client timeout; the caller then simulates.
//
// Under Exact's assumptions (see ExactWall) item m is admitted on lane
// m mod k and answered at
//
//	end(m) = first(m mod k) + ⌊m / k⌋ × S
//
// with first(j) the service time with j + 1 in flight and S the time with
// k in flight, each rounded as the mock rounds it (Config.ServiceTime), and
// its client slot frees item m + conc. So item m's latency is end(m) for
// the first conc items and end(m) − end(m − conc) after them, which
// depends on m mod k only: the later items are recorded one lane at a
// time, with their count.
func exactCell(p Params, s scenario.Strategy, pool int) (results.Cell, bool) {
	if _, ok := Exact(p, s, pool); !ok || p.ReturnSpread != 0 || p.HarnessCost != 0 || p.SendSpread != 0 {
		return results.Cell{}, false
	}
	conc, err := Concurrency(s, pool, p.Items)
	if err != nil {
		return results.Cell{}, false
	}
	up := p.Upstream.WithDefaults()
	lat := time.Duration(p.Latency.(upstream.Fixed))
	n, c := int64(p.Items), int64(conc)
	k := int64(lanes(conc, up.Cap))
	svc := func(inFlight int64) int64 { return int64(up.ServiceTime(lat, inFlight)) }
	full := svc(k)
	end := func(m int64) int64 { return svc(m%k+1) + m/k*full }

	m := &sim{p: &p, lat: results.NewLatencies()}
	m.names[outOK] = "200"
	var longest int64
	for i := range min(c, n) {
		d := end(i)
		m.lat.Record(time.Duration(d))
		longest = max(longest, d)
	}
	// Items conc to n − 1, by lane r = m mod k.
	for r := range min(k, max(n-c, 0)) {
		first := c + (r-c%k+k)%k // the first m ≥ conc with m mod k = r
		if first >= n {
			continue
		}
		count := (n-1-first)/k + 1
		d := end(first) - end(first-c)
		m.lat.RecordN(time.Duration(d), count)
		longest = max(longest, d)
	}
	if p.Timeout > 0 && longest > int64(p.Timeout) {
		return results.Cell{}, false
	}
	m.wall = end(n - 1)
	m.ok, m.attempts, m.outcomes[outOK] = int(n), int(n), int(n)
	m.c = upstream.Counters{Requests: n, Admitted: n, Completed: n, PeakInFlight: k, PeakQueued: c - k}
	return m.cell(s, s.CellPool(pool)), true
}
