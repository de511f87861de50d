package sweep

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestJudge: the rule, case by case, with the reason each case gives.
func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name        string
		h           results.Harness
		external    bool
		bound       bool
		reason      string
		fdLimit     int
		unestimated error
		interval    *results.Interval
		wall        float64
	}{
		{"within", results.Harness{Error: 0.004, Sensitivity: 0.008}, false, false, "", 0, nil, nil, 0},
		{"steady cost over budget", results.Harness{Error: 0.015, Sensitivity: 0.03}, false, true, "slower time scale", 0, nil, nil, 0},
		{"a jump within twice the overhead", results.Harness{Error: 0.002, Sensitivity: 0.31}, false, true, "turns on a few milliseconds", 0, nil, nil, 0},
		{"a jump already taken", results.Harness{Error: 0.31, Sensitivity: 0.32}, false, true, "turns on a few milliseconds", 0, nil, nil, 0},
		{"short of CPU", results.Harness{CPU: 0.95, Error: 0.001, Sensitivity: 0.002}, false, true, "CPU", 0, nil, nil, 0},
		{"external over budget", results.Harness{Error: 0.05, Sensitivity: 0.1}, true, true, "too fast for the harness", 0, nil, nil, 0},
		{"out of file descriptors", results.Harness{Error: 0.001, Sensitivity: 0.002}, false, true, "3 attempts could not connect", 3, nil, nil, 0},
		{"no estimate", results.Harness{}, false, true, "could not estimate", 0, errors.New("stalled"), nil, 0},
		// A cell that turns on a few milliseconds, against the model's two
		// outcomes: in one of them it is explained; between them, or far
		// off (a time scale far too fast), it is bound.
		{"a jump, in the second mode", results.Harness{Error: 0.31, Sensitivity: 0.32}, false, false, "", 0, nil, bimodal, 4.25},
		{"a jump, in the first mode", results.Harness{Error: 0.002, Sensitivity: 0.31}, false, false, "", 0, nil, bimodal, 3.2},
		{"a jump, between the modes", results.Harness{Error: 0.002, Sensitivity: 0.31}, false, true, "outside every mode", 0, nil, bimodal, 3.7},
		{"a jump, far off", results.Harness{Error: 30, Sensitivity: 41}, false, true, "outside every mode", 0, nil, bimodal, 190},
		{"a steady cost is not explained by modes", results.Harness{Error: 0.015, Sensitivity: 0.03}, false, true, "slower time scale", 0, nil, bimodal, 3.22},
	} {
		h := tc.h
		judge(&h, ruling{budget: 0.01, scale: upstream.Scale(0.1), external: tc.external, fdLimit: tc.fdLimit, unestimated: tc.unestimated, interval: tc.interval, wall: tc.wall})
		if h.Bound != tc.bound || !strings.Contains(h.Reason, tc.reason) {
			t.Errorf("%s: bound %v, reason %q; want bound %v, a reason with %q", tc.name, h.Bound, h.Reason, tc.bound, tc.reason)
		}
		if explained := h.Explained != ""; explained != (!tc.bound && tc.interval != nil) {
			t.Errorf("%s: explained %q", tc.name, h.Explained)
		}
	}
}

// TestJudgeServiceFailedEvery: an external target that failed every
// attempt (nothing listening, 500 to everything) is never "too fast for
// the harness", however short its attempts were; the note says why its
// timing was not checked.
func TestJudgeServiceFailedEvery(t *testing.T) {
	for _, tc := range []struct {
		outcomes map[string]int
		want     string
	}{
		{map[string]int{"connect": 120}, "120 connect"},
		{map[string]int{"500": 40}, "40 500"},
		{map[string]int{"reset": 3, "503": 37}, "37 503, 3 reset"},
	} {
		h := results.Harness{Error: 0.6, Sensitivity: 1.2}
		judge(&h, ruling{budget: 0.003, scale: 1, external: true, failedAll: failedEvery(tc.outcomes)})
		if h.Bound || strings.Contains(h.Reason, "too fast") || !strings.Contains(h.Note, "the service failed every attempt ("+tc.want+")") {
			t.Errorf("%v: bound %v reason %q note %q", tc.outcomes, h.Bound, h.Reason, h.Note)
		}
	}
	// One success is enough for the rule to apply as usual.
	if got := failedEvery(map[string]int{"200": 1, "connect": 39}); got != "" {
		t.Errorf("failedEvery with a 200: %q, want empty", got)
	}
	h := results.Harness{Error: 0.6, Sensitivity: 1.2}
	judge(&h, ruling{budget: 0.003, scale: 1, external: true, failedAll: failedEvery(map[string]int{"200": 1, "connect": 39})})
	if !h.Bound {
		t.Errorf("a service that answered once, over budget: not bound")
	}
}

// TestRerunCap: a re-run may last as long as the sweep's longest cell or
// twice its first try, whichever is more, never longer.
func TestRerunCap(t *testing.T) {
	for _, tc := range []struct {
		modelWall, firstWall, longest float64
		want                          upstream.Scale
	}{
		{816, 100, 100, 200.0 / 816}, // the longest cell itself: twice its first try
		{424, 50, 100, 100.0 / 424},  // a short cell: up to the longest cell's 100 s
		{424, 80, 100, 160.0 / 424},
		{0, 1, 1, upstream.RealTime},
	} {
		if got := rerunCap(tc.modelWall, tc.firstWall, tc.longest); math.Abs(float64(got-tc.want)) > 1e-9 {
			t.Errorf("rerunCap(%v, %v, %v) = %v, want %v", tc.modelWall, tc.firstWall, tc.longest, got, tc.want)
		}
	}
}

// bimodal is cap-sweep's pooled(256) as the model sees it: 3.22 s or
// 4.21 s.
var bimodal = &results.Interval{
	LowSeconds: 3.214, HighSeconds: 4.213, Coverage: 0.9, Runs: 99,
	Modes: []results.Mode{
		{WallSeconds: 3.218, LowSeconds: 3.214, HighSeconds: 3.221, Odds: 0.41},
		{WallSeconds: 4.21, LowSeconds: 4.205, HighSeconds: 4.213, Odds: 0.59},
	},
}
