package model

import (
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// ExactWall is the wall time, in model time, of items requests of fixed
// latency latency sent by a client that keeps conc of them in flight, against
// an upstream that serves at most capacity at once (0: no cap), queues the
// rest first in first out, and stretches each request's service time to
// latency × (1 + contention × (in_flight − 1)) with in_flight counted at
// admission, the request itself included.
//
// With k = min(conc, capacity) lanes, lane j's first request is admitted
// with j others in flight and takes latency × (1 + contention × j); every
// later admission happens the instant a lane frees, with the other k − 1
// lanes busy, so it takes S = latency × (1 + contention × (k − 1)). Items go
// to lanes round robin, so the last item, number n − 1, ends last:
//
//	wall = latency × (1 + contention × ((n − 1) mod k)) + ⌊(n − 1) / k⌋ × S
//
// which is n × latency for serial and ⌈n / k⌉ × S when k divides n. A client
// with more in flight than the cap (conc > capacity) only lengthens the
// upstream's queue: its wall time is that of conc = capacity.
func ExactWall(items, conc, capacity int, latency time.Duration, contention float64) time.Duration {
	if items < 1 || conc < 1 {
		return 0
	}
	k := int64(lanes(conc, capacity))
	n := int64(items)
	l := float64(latency)
	s := l * (1 + contention*float64(k-1))
	return time.Duration(l*(1+contention*float64((n-1)%k)) + float64((n-1)/k)*s)
}

func lanes(conc, capacity int) int {
	if capacity > 0 {
		return min(conc, capacity)
	}
	return conc
}

// exactEnd is the time item m (0-based) is answered under ExactWall's
// assumptions, with k lanes.
func exactEnd(m, k int64, l, s float64) float64 {
	return laneFirst(m%k, l, s, k) + float64(m/k)*s
}

// laneFirst is lane j's first service time: l × (1 + c × j), recovered from
// s = l × (1 + c × (k − 1)) without dividing by zero.
func laneFirst(j int64, l, s float64, k int64) float64 {
	if k == 1 {
		return l
	}
	return l + (s-l)*float64(j)/float64(k-1)
}

// Exact returns the exact wall time of a cell when a closed formula
// applies — one client, fixed latency, overflow queue with room for every
// waiting request, no injected faults, no connection cost or round trip,
// and no attempt longer than the client timeout — and ok false otherwise. The simulation agrees
// with it; Exact exists to check the simulation and to say which cells are
// known exactly.
func Exact(p Params, s scenario.Strategy, pool int) (wall time.Duration, ok bool) {
	if p.validate() != nil || clientsOf(&p) > 1 {
		return 0, false
	}
	conc, err := Concurrency(s, pool, p.Items)
	if err != nil {
		return 0, false
	}
	up := p.Upstream.WithDefaults()
	fixed, isFixed := p.Latency.(upstream.Fixed)
	if !isFixed {
		return 0, false
	}
	lat := time.Duration(fixed)
	if up.ErrorRate != 0 || up.ResetRate != 0 || up.StallRate != 0 {
		return 0, false
	}
	if (!p.KeepAlive && p.ConnectCost > 0) || p.RoundTrip > 0 || p.ServiceExtra > 0 {
		return 0, false
	}
	k := lanes(conc, up.Cap)
	if conc > k && (up.Overflow != upstream.OverflowQueue || (up.QueueLimit > 0 && conc-k > up.QueueLimit)) {
		return 0, false
	}
	if p.Timeout > 0 && maxAttempt(p.Items, conc, k, lat, up.Contention) > p.Timeout {
		return 0, false
	}
	return ExactWall(p.Items, conc, up.Cap, lat, up.Contention), true
}

// maxAttempt is the longest attempt under ExactWall's assumptions: item m
// starts when item m − conc is answered (at 0 for the first conc items)
// and items are answered in order. The first conc items' attempts grow
// with m; after them an attempt depends on m mod k only, so one item per
// lane is enough: O(k) steps, not O(items).
func maxAttempt(items, conc, k int, lat time.Duration, contention float64) time.Duration {
	l := float64(lat)
	s := l * (1 + contention*float64(k-1))
	n, c, kk := int64(items), int64(conc), int64(k)
	worst := exactEnd(min(c, n)-1, kk, l, s)
	for m := c; m < min(c+kk, n); m++ {
		worst = max(worst, exactEnd(m, kk, l, s)-exactEnd(m-c, kk, l, s))
	}
	return time.Duration(worst)
}
