package sweep

import (
	"errors"
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

// bimodal is cap-sweep's pooled(256) as the model sees it: 3.22 s or
// 4.21 s.
var bimodal = &results.Interval{
	LowSeconds: 3.214, HighSeconds: 4.213, Coverage: 0.9, Runs: 99,
	Modes: []results.Mode{
		{WallSeconds: 3.218, LowSeconds: 3.214, HighSeconds: 3.221, Odds: 0.41},
		{WallSeconds: 4.21, LowSeconds: 4.205, HighSeconds: 4.213, Odds: 0.59},
	},
}
