package model

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestCentralMatchesSimulation holds the closed-form cell to the full
// simulation, every field bit for bit, on 400 seeded random cells: items,
// cap, queue limit, contention, latency, timeout and strategy drawn, and
// cells outside Exact checked to fall back to the simulation.
func TestCentralMatchesSimulation(t *testing.T) {
	skipUnderRace(t, "400 seeded cells on one goroutine")
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(24, 4))
	strategies := scenario.Strategies()
	var closed int
	for i := range 400 {
		items := 1 + rnd.IntN(3000)
		if i%4 == 0 {
			items = 1 + rnd.IntN(10)
		}
		lat := time.Duration(1+rnd.IntN(900_000)) * time.Microsecond / 7 // not round
		up := upstream.Config{Cap: rnd.IntN(9), Contention: []float64{0, 0.0392, 0.25, 1e-9}[rnd.IntN(4)]}
		if rnd.IntN(4) == 0 {
			up.QueueLimit = rnd.IntN(20)
		}
		p := params(items, lat, up)
		p.Rate = strategy.ArrivalRate{Freq: 1 + i%97, Per: 10 * lat} // rate's cells: not closed, simulated alike
		if rnd.IntN(3) == 0 {
			p.Timeout = time.Duration(rnd.Int64N(int64(20 * lat)))
		}
		s := strategies[rnd.IntN(len(strategies))]
		pool := 1 + rnd.IntN(40)
		got, exact, err := Central(ctx, p, s, pool)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Simulate(ctx, p, s, pool)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := Exact(p, s, pool); exact && !ok {
			t.Fatalf("case %d: Central says exact where Exact does not apply", i)
		}
		if exact {
			closed++
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("case %d (items %d, lat %v, %+v, timeout %v, %s/%d, exact %v):\n closed form %+v\n simulated   %+v",
				i, items, lat, up, p.Timeout, s, pool, exact, got, want)
		}
	}
	if closed < 200 {
		t.Errorf("only %d of 400 cases took the closed form: the test checks too little of it", closed)
	}
}
