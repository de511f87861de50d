package model

import (
	"context"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
)

// Overhead is what a harness adds, in model time: to each attempt (a round
// trip: the client's and the server's wake-ups, CPU and the loopback), to
// each service time (an upstream answering after its deadline), and to
// each wait between attempts (a timer waking late).
type Overhead struct {
	RoundTrip, Service, Wait time.Duration
}

// HarnessError is by how much the overhead lengthens cell (s, pool)'s
// wall time under the model, as a share of the wall time without it:
// wall(p with o) / wall(p) − 1. It accounts for where the overhead lands:
// on the critical path of a serial chain of attempts it adds up, behind an
// upstream queue that keeps every slot busy a round trip costs nothing,
// a late answer delays every later one, and so on.
func HarnessError(ctx context.Context, p Params, s scenario.Strategy, pool int, o Overhead) (float64, error) {
	base, err := Simulate(ctx, p, s, pool)
	if err != nil {
		return 0, err
	}
	p.RoundTrip += o.RoundTrip
	p.ServiceExtra += o.Service
	p.WaitExtra += o.Wait
	with, err := Simulate(ctx, p, s, pool)
	if err != nil {
		return 0, err
	}
	if base.ModelWallSeconds <= 0 {
		return 0, nil
	}
	return with.ModelWallSeconds/base.ModelWallSeconds - 1, nil
}
