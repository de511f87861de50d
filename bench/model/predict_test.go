package model

import (
	"context"
	"errors"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

var builtin = os.DirFS("../../scenarios")

func load(t *testing.T, name string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Load(name, builtin)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestPredictSeed checks the seed: 816 s serial, 424 s for any pool of two
// or more, all known exactly.
func TestPredictSeed(t *testing.T) {
	sc := load(t, "seed-816s")
	sc.Timescale = scenario.Fixed(0.01) // the figures below are at 1:100, whatever the built-in runs at
	preds, err := Predict(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(preds) == 0 {
		t.Fatal("no predictions")
	}
	for _, p := range preds {
		want := 423.9936 // 500 × 816 ms × 1.0392
		if p.Strategy == scenario.Serial || p.Pool == 1 {
			want = 816
		}
		if math.Abs(p.ModelWallSeconds-want) > 1e-6 || !p.Exact || p.Failed != 0 {
			t.Errorf("%s: wall %.4f exact %v failed %d, want %.4f exact, none failed", p.Label(), p.ModelWallSeconds, p.Exact, p.Failed, want)
		}
		if math.Abs(p.WallSeconds-want*0.01) > 1e-6 {
			t.Errorf("%s: wall at 1:100 %.4f, want %.4f", p.Label(), p.WallSeconds, want*0.01)
		}
	}
}

// TestPredictDeterministic: the same scenario predicted twice (its ranges'
// runs on goroutines of their own) is the same, another seed differs. At
// 200 items a cell, half cap-sweep's: what is checked does not depend on
// the count, and under -race each prediction takes seconds.
func TestPredictDeterministic(t *testing.T) {
	sc := load(t, "cap-sweep")
	opts := Options{Items: 200}
	a, err := Predict(context.Background(), sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Predict(context.Background(), sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("the same scenario predicted twice differs")
	}
	seed := uint64(99)
	opts.Seed = &seed
	c, err := Predict(context.Background(), sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a, c) {
		t.Error("another seed gave the very same predictions")
	}
	// The cap is 16 and the excess is rejected: past 16, retries appear.
	for _, p := range a {
		if p.Upstream.PeakInFlight > 16 {
			t.Errorf("%s: peak in flight %d above the cap", p.Label(), p.Upstream.PeakInFlight)
		}
		if p.Strategy == scenario.Pooled && p.Pool <= 16 && p.Upstream.Rejected != 0 {
			t.Errorf("%s: %d rejected within the cap", p.Label(), p.Upstream.Rejected)
		}
	}
}

func TestPredictOverrides(t *testing.T) {
	preds, err := Predict(context.Background(), load(t, "seed-816s"), Options{
		Items: 10_000, Pools: []int{1, 3}, Strategies: []scenario.Strategy{scenario.Workers, scenario.Serial},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range preds {
		got = append(got, p.Label())
		if p.Items != 10_000 {
			t.Errorf("%s: %d items", p.Label(), p.Items)
		}
	}
	if want := []string{"workers/p=1/r=0", "workers/p=3/r=0", "serial/p=1/r=0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("cells %v, want %v", got, want)
	}
	for _, o := range []Options{{Items: -1}, {Items: MaxItems + 1}, {Pools: []int{0}}, {Strategies: []scenario.Strategy{"gather"}}} {
		if _, err := Predict(context.Background(), load(t, "seed-816s"), o); !errors.Is(err, ErrInput) {
			t.Errorf("%+v: error %v, want ErrInput", o, err)
		}
	}
	sc := load(t, "seed-816s")
	sc.Upstream = nil
	sc.Target = &scenario.Target{URL: "http://127.0.0.1:1/"}
	if _, err := Predict(context.Background(), sc, Options{}); !errors.Is(err, ErrInput) {
		t.Errorf("external target: error %v, want ErrInput", err)
	}
}

func TestAnnotate(t *testing.T) {
	sc := load(t, "seed-816s")
	r := &results.Results{Schema: results.SchemaVersion, Scenario: *sc}
	for _, c := range []struct {
		s        scenario.Strategy
		pool     int
		measured float64
	}{
		{scenario.Serial, 1, 830}, {scenario.Pooled, 1, 829}, {scenario.Pooled, 2, 431}, {scenario.Pooled, 4, 433},
		{scenario.Pooled, 8, 430}, {scenario.Unbounded, 0, 440},
	} {
		cell := results.Cell{Strategy: c.s, Pool: c.pool, Items: 1000, Succeeded: 1000, Attempts: 1000}
		cell.SetWall(c.measured/100, 0.01)
		r.Cells = append(r.Cells, cell)
	}
	r.Cells = append(r.Cells, results.Cell{Strategy: scenario.Pooled, Pool: 16, Items: 1000, Interrupted: true, ModelWallSeconds: 3})
	if err := Annotate(r); err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Cells {
		if c.Interrupted {
			if c.PredictedWallSeconds != 0 || c.Efficiency != 0 {
				t.Errorf("interrupted %s annotated", c.Label())
			}
			continue
		}
		want := 423.9936
		if c.Pool == 1 {
			want = 816
		}
		if math.Abs(c.PredictedWallSeconds-want) > 1e-6 || math.Abs(c.Efficiency-want/c.ModelWallSeconds) > 1e-6 {
			t.Errorf("%s: predicted %.4f efficiency %.4f, want %.4f and %.4f", c.Label(), c.PredictedWallSeconds, c.Efficiency, want, want/c.ModelWallSeconds)
		}
	}
	if r.Recommended == nil || r.Recommended.Strategy != scenario.Pooled || r.Recommended.Pool != 2 {
		t.Errorf("recommended %+v, want pooled pool 2", r.Recommended)
	}

	// An external target: a recommendation, no predictions.
	r.Scenario.Upstream, r.Scenario.Target = nil, &scenario.Target{URL: "http://127.0.0.1:1/"}
	for i := range r.Cells {
		r.Cells[i].PredictedWallSeconds, r.Cells[i].Efficiency = 0, 0
	}
	if err := Annotate(r); err != nil || r.Recommended == nil || r.Cells[0].PredictedWallSeconds != 0 {
		t.Errorf("external target: err %v, recommended %+v, predicted %v", err, r.Recommended, r.Cells[0].PredictedWallSeconds)
	}
}

// TestVerify: a cell the harness did not flag is held to the tolerance
// (by default its run's error budget); a flagged one is shown, not held.
func TestVerify(t *testing.T) {
	sc := load(t, "seed-816s") // error budget 1%
	r := &results.Results{Schema: results.SchemaVersion, Scenario: *sc, Cells: []results.Cell{
		// 0.8% slow: within.
		{Strategy: scenario.Pooled, Pool: 2, Items: 1000, Succeeded: 1000, ModelWallSeconds: 423.9936 * 1.008, Timescale: 0.05, Harness: &results.Harness{}},
		// 4% slow: outside.
		{Strategy: scenario.Serial, Pool: 1, Items: 1000, Succeeded: 1000, ModelWallSeconds: 816 * 1.04, Timescale: 0.05, Harness: &results.Harness{}},
		// 10% fast, but flagged: shown, not held.
		{Strategy: scenario.Serial, Pool: 1, Repeat: 1, Items: 1000, Succeeded: 1000, ModelWallSeconds: 816 * 0.9, Timescale: 0.05,
			Harness: &results.Harness{Bound: true, Reason: "the cell's answer turns on a few milliseconds"}},
		{Strategy: scenario.Workers, Pool: 8, Items: 1000, Interrupted: true},
	}}
	checks, err := Verify(r, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 3 {
		t.Fatalf("%d checks, want 3", len(checks))
	}
	for i, want := range []struct {
		checked, ok bool
		diff        float64
	}{{true, true, 0.008}, {true, false, 0.04}, {false, true, -0.1}} {
		c := checks[i]
		if c.Checked != want.checked || c.OK != want.ok || math.Abs(c.Diff-want.diff) > 1e-6 || c.Tolerance != 0.01 {
			t.Errorf("%s: checked %v ok %v diff %.4f tolerance %v, want %v %v %.4f 0.01", c.Cell.Label(), c.Checked, c.OK, c.Diff, c.Tolerance, want.checked, want.ok, want.diff)
		}
	}
	if checks, err = Verify(r, 0.05); err != nil || !checks[1].OK || checks[1].Tolerance != 0.05 {
		t.Errorf("serial 4%% off within a 5%% tolerance: %+v, %v", checks[1], err)
	}
	if r.Cells[0].PredictedWallSeconds != 0 {
		t.Error("Verify changed its input")
	}
}
