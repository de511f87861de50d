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
	}{
		{"within", results.Harness{Error: 0.004, Sensitivity: 0.008}, false, false, "", 0, nil},
		{"steady cost over budget", results.Harness{Error: 0.015, Sensitivity: 0.03}, false, true, "slower time scale", 0, nil},
		{"a jump within twice the overhead", results.Harness{Error: 0.002, Sensitivity: 0.31}, false, true, "turns on a few milliseconds", 0, nil},
		{"a jump already taken", results.Harness{Error: 0.31, Sensitivity: 0.32}, false, true, "turns on a few milliseconds", 0, nil},
		{"short of CPU", results.Harness{CPU: 0.95, Error: 0.001, Sensitivity: 0.002}, false, true, "CPU", 0, nil},
		{"external over budget", results.Harness{Error: 0.05, Sensitivity: 0.1}, true, true, "too fast for the harness", 0, nil},
		{"out of file descriptors", results.Harness{Error: 0.001, Sensitivity: 0.002}, false, true, "3 attempts could not connect", 3, nil},
		{"no estimate", results.Harness{}, false, true, "could not estimate", 0, errors.New("stalled")},
	} {
		h := tc.h
		judge(&h, ruling{budget: 0.01, scale: upstream.Scale(0.1), external: tc.external, fdLimit: tc.fdLimit, unestimated: tc.unestimated})
		if h.Bound != tc.bound || !strings.Contains(h.Reason, tc.reason) {
			t.Errorf("%s: bound %v, reason %q; want bound %v, a reason with %q", tc.name, h.Bound, h.Reason, tc.bound, tc.reason)
		}
	}
}
