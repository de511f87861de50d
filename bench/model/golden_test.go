package model

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/internal/goldenfile"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// goldenCase is one seeded random cell of TestSimulateGolden.
type goldenCase struct {
	p    Params
	s    scenario.Strategy
	pool int
}

// goldenCases draws n cells over everything the simulation models:
// strategies (adaptive included), caps and overflows, queue limits, fault
// rates, timeouts, the retry policy (backoff, Retry-After, what is
// retried, attempts), connection cost, round trip and its spread, the
// extras, fleets, and latency distributions.
func goldenCases(t testing.TB, n int) []goldenCase {
	rnd := rand.New(rand.NewPCG(24, 5))
	lats := []string{"20ms", "uniform(18ms,22ms)", "exponential(10ms)", "lognormal(10ms,0.5)", "pareto(5ms,2.5)", "10ms:9,50ms:1", "normal(20ms,3ms)"}
	strategies := scenario.Strategies()
	out := make([]goldenCase, 0, n)
	for i := range n {
		items := 1 + rnd.IntN(2500)
		if i%5 == 0 {
			items = 1 + rnd.IntN(12)
		}
		lat := lats[rnd.IntN(len(lats))]
		up := upstream.Config{Cap: rnd.IntN(40), Contention: []float64{0, 0.01, 0.0392}[rnd.IntN(3)], Seed: rnd.Uint64N(100)}
		switch rnd.IntN(3) {
		case 1:
			up.Overflow = upstream.OverflowReject
			up.RejectStatus = []int{503, 429}[rnd.IntN(2)]
			up.RetryAfter = upstream.Duration(time.Duration(rnd.IntN(3)) * 50 * time.Millisecond)
		case 2:
			up.Overflow = upstream.OverflowReset
		}
		if rnd.IntN(4) == 0 {
			up.QueueLimit = rnd.IntN(30)
		}
		if rnd.IntN(3) == 0 {
			up.ErrorRate = rnd.Float64() * 0.2
			up.ResetRate = rnd.Float64() * 0.05
		}
		retry := scenario.Retry{MaxAttempts: 1 + rnd.IntN(6), RetryAfter: rnd.IntN(2) == 0}
		switch rnd.IntN(3) {
		case 1:
			retry.Backoff, retry.Base = scenario.BackoffConstant, upstream.Duration(time.Duration(1+rnd.IntN(100))*time.Millisecond)
		case 2:
			retry.Backoff, retry.Base = scenario.BackoffExponential, upstream.Duration(time.Duration(1+rnd.IntN(100))*time.Millisecond)
			retry.Max = upstream.Duration(time.Duration(1+rnd.IntN(20)) * retry.Base.D())
		}
		if rnd.IntN(3) == 0 {
			retry.On = []string{"5xx", "429", "connect", "timeout"}[:rnd.IntN(5)]
		}
		retry = retry.WithDefaults()
		l, err := upstream.ParseLatency(lat)
		if err != nil {
			t.Fatal(err)
		}
		up.Latency = lat
		p := Params{Items: items, Upstream: up, Latency: l, MaxAttempts: retry.MaxAttempts, Retry: retry,
			KeepAlive: rnd.IntN(4) != 0, Seed: rnd.Uint64N(1000)}
		if rnd.IntN(2) == 0 {
			p.Timeout = time.Duration(5+rnd.IntN(400)) * time.Millisecond
			if rnd.IntN(4) == 0 {
				p.Upstream.StallRate = rnd.Float64() * 0.05
			}
		}
		if !p.KeepAlive {
			p.ConnectCost = time.Duration(rnd.IntN(3)) * time.Millisecond
		}
		if rnd.IntN(4) == 0 {
			p.RoundTrip = time.Duration(rnd.IntN(5000)) * time.Microsecond
		}
		if rnd.IntN(3) == 0 {
			p.ReturnSpread, p.SpreadSeed = time.Duration(1+rnd.IntN(3000))*time.Microsecond, rnd.Uint64()
		}
		if rnd.IntN(5) == 0 {
			p.ServiceExtra, p.WaitExtra = time.Duration(rnd.IntN(500))*time.Microsecond, time.Duration(rnd.IntN(500))*time.Microsecond
		}
		if rnd.IntN(5) == 0 {
			p.Clients = 1 + rnd.IntN(8)
		}
		s := strategies[rnd.IntN(len(strategies))]
		if s.Rated() {
			r, err := strategy.ParseRate([]string{"20/s", "200/s", "1000/s"}[rnd.IntN(3)])
			if err != nil {
				t.Fatal(err)
			}
			p.Rate = r
		}
		if s == scenario.Adaptive {
			p.Adaptive = &strategy.AdaptiveConfig{Algorithm: []string{strategy.AIMD, strategy.Vegas}[rnd.IntN(2)], Max: 1 + rnd.IntN(200)}
		}
		out = append(out, goldenCase{p, s, 1 + rnd.IntN(300)})
	}
	return out
}

// TestSimulateGolden holds the simulation to the cells it gave when
// testdata/simulate.golden was recorded (go test -update rewrites it): 600
// seeded random cells over everything it models, each as a hash of its
// JSON, so that a change meant to make it faster changes no cell.
func TestSimulateGolden(t *testing.T) {
	skipUnderRace(t, "600 seeded cells on one goroutine")
	ctx := context.Background()
	var b strings.Builder
	for i, c := range goldenCases(t, 600) {
		cell, err := Simulate(ctx, c.p, c.s, c.pool)
		if err != nil {
			fmt.Fprintf(&b, "%d %s/%d error: %v\n", i, c.s, c.pool, err)
			continue
		}
		js, err := json.Marshal(cell)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %s/%d items %d attempts %d wall %.9g %x\n", i, c.s, c.pool, cell.Items, cell.Attempts, cell.ModelWallSeconds, sha256.Sum256(js))
	}
	goldenfile.Check(t, "testdata/simulate.golden", []byte(b.String()))
}

// TestPredictGolden holds Predict — central cells and their ranges — on
// every built-in scenario at 3,000 items and pools 1, 16 and 300 to the
// predictions testdata/predict.golden recorded (go test -update rewrites
// it).
func TestPredictGolden(t *testing.T) {
	statistical(t, "every built-in scenario with its ranges (399 runs where counts vary)")
	predictGolden(t, Options{Items: 3000, Pools: []int{1, 16, 300}}, "testdata/predict.golden")
}

// TestPredictGoldenLarge does the same at 25,000 items and pool 2,000
// (testdata/predict-25k.golden): the event queue's lanes and calendar at
// thousands in flight (above countItems, so without the count runs, which
// would take minutes). Not under -short or -race (statistical).
func TestPredictGoldenLarge(t *testing.T) {
	statistical(t, "20,000 items a cell with ranges")
	predictGolden(t, Options{Items: 25_000, Pools: []int{2000}}, "testdata/predict-25k.golden")
}

// predictGolden checks the predictions of every built-in scenario under
// opts against golden. It lifts the range budget (Spread.Budget): what
// the goldens hold is the simulation, recorded before the budget was.
func predictGolden(t *testing.T, opts Options, golden string) {
	opts.Spread.Budget = -1
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no built-in scenarios: %v", err)
	}
	var b strings.Builder
	for _, f := range files {
		sc, err := scenario.Load(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		preds, err := Predict(context.Background(), sc, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range preds {
			js, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s/%d wall %.9g runs %d %x\n", sc.Name, p.Strategy, p.Pool, p.ModelWallSeconds, p.Interval.Runs, sha256.Sum256(js))
		}
	}
	goldenfile.Check(t, golden, []byte(b.String()))
}
