package sweep

import (
	"strings"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestJudge: the rule, case by case, with the reason each case gives.
func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name     string
		h        results.Harness
		external bool
		bound    bool
		reason   string
	}{
		{"within", results.Harness{Error: 0.004, Sensitivity: 0.008}, false, false, ""},
		{"steady cost over budget", results.Harness{Error: 0.015, Sensitivity: 0.03}, false, true, "slower time scale"},
		{"a jump within twice the overhead", results.Harness{Error: 0.002, Sensitivity: 0.31}, false, true, "turns on a few milliseconds"},
		{"a jump already taken", results.Harness{Error: 0.31, Sensitivity: 0.32}, false, true, "turns on a few milliseconds"},
		{"short of CPU", results.Harness{CPU: 0.95, Error: 0.001, Sensitivity: 0.002}, false, true, "CPU"},
		{"external over budget", results.Harness{Error: 0.05, Sensitivity: 0.1}, true, true, "too fast for the harness"},
	} {
		h := tc.h
		judge(&h, 0.01, upstream.Scale(0.1), tc.external)
		if h.Bound != tc.bound || !strings.Contains(h.Reason, tc.reason) {
			t.Errorf("%s: bound %v, reason %q; want bound %v, a reason with %q", tc.name, h.Bound, h.Reason, tc.bound, tc.reason)
		}
	}
}
