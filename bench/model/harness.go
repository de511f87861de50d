package model

import (
	"context"
	"math"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// Overhead is what a harness adds, in model time: to each attempt (a round
// trip: the client's and the server's wake-ups, CPU and the loopback), to
// each service time (an upstream answering after its deadline), and to
// each wait between attempts (a timer waking late).
type Overhead struct {
	RoundTrip, Service, Wait time.Duration
}

// scaled is o times k.
func (o Overhead) scaled(k float64) Overhead {
	m := func(d time.Duration) time.Duration { return time.Duration(float64(d) * k) }
	return Overhead{RoundTrip: m(o.RoundTrip), Service: m(o.Service), Wait: m(o.Wait)}
}

// HarnessEstimate is what an overhead does to a cell under the model.
type HarnessEstimate struct {
	// Error is by how much the overhead lengthens the cell's wall time, as
	// a share of the wall time without it: wall(with o) / wall − 1 — for
	// an open model (a rate cell, whose schedule sets its wall time), its
	// items' mean latency, which is what the overhead moves there. It
	// accounts for where the overhead lands: on the critical path of a
	// serial chain of attempts it adds up, behind an upstream queue that
	// keeps every slot busy a round trip costs nothing, a late answer
	// delays every later one.
	Error float64
	// Sensitivity is the largest change of the wall time, as a share of
	// it, under overheads around o: o times each of sensitivityAt, and o
	// with its round trip spread from 0 to twice its mean attempt by
	// attempt (at least tieBreak), drawn spreadRuns ways. A measured
	// overhead is a mean: in a burst the last attempts carry about twice
	// it, the first almost none, and attempts sent at the same instant
	// reach the upstream in an order of the machine's. Where the wall time
	// grows smoothly with the overhead, Sensitivity is about twice Error;
	// where the cell's answer turns on a little time or on that order
	// (retries that come back together meet the cap's free slots, or miss
	// them) it is a whole wave of retries, whatever Error says.
	Sensitivity float64
}

// HarnessError estimates what overhead o does to cell (s, pool) under the
// model (HarnessEstimate).
func HarnessError(ctx context.Context, p Params, s scenario.Strategy, pool int, o Overhead) (HarnessEstimate, error) {
	base, err := Simulate(ctx, p, s, pool)
	if err != nil {
		return HarnessEstimate{}, err
	}
	return HarnessErrorFrom(ctx, p, base, s, pool, o)
}

// HarnessErrorFrom is HarnessError for a cell whose simulation without
// overhead, base, is known.
func HarnessErrorFrom(ctx context.Context, p Params, base results.Cell, s scenario.Strategy, pool int, o Overhead) (HarnessEstimate, error) {
	var e HarnessEstimate
	measure := func(c results.Cell) float64 { return c.ModelWallSeconds }
	if s.Kind().Open {
		measure = func(c results.Cell) float64 { return c.Latency.Mean }
	}
	baseWall := measure(base)
	if baseWall <= 0 {
		return e, nil
	}
	at := func(o Overhead, spread time.Duration, seed uint64) (float64, error) {
		q := p
		q.RoundTrip += o.RoundTrip
		q.ServiceExtra += o.Service
		q.WaitExtra += o.Wait
		q.ReturnSpread, q.SpreadSeed = spread, seed
		with, err := Simulate(ctx, q, s, pool)
		if err != nil {
			return 0, err
		}
		return measure(with)/baseWall - 1, nil
	}
	var err error
	if e.Error, err = at(o, 0, 0); err != nil {
		return e, err
	}
	e.Sensitivity = math.Abs(e.Error)
	for _, k := range sensitivityAt {
		d, err := at(o.scaled(k), 0, 0)
		if err != nil {
			return e, err
		}
		e.Sensitivity = max(e.Sensitivity, math.Abs(d))
	}
	spread := o
	spread.RoundTrip = 0
	for seed := range uint64(spreadRuns) {
		d, err := at(spread, max(2*o.RoundTrip, tieBreak), seed+1)
		if err != nil {
			return e, err
		}
		e.Sensitivity = max(e.Sensitivity, math.Abs(d))
	}
	return e, nil
}

// The samples of Sensitivity: multiples of the overhead (besides 1; the
// changes of a cell with retry waves come and go in islands a fraction of
// a millisecond wide), and runs with the round trip spread attempt by
// attempt (at least tieBreak: enough to put answers sent at one instant
// in another order, too little to move anything else).
var sensitivityAt = []float64{0.5, 0.75, 1.25, 1.5, 1.75, 2}

const (
	spreadRuns = 8
	tieBreak   = time.Microsecond
)
