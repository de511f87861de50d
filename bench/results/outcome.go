package results

import (
	"strconv"

	"github.com/poolbench/poolbench/bench/scenario"
)

// FailureClass names why an item failed from its last attempt's outcome
// and its number of attempts: "503 after 4 attempts", "timeout after 1
// attempt", or "canceled". Outcomes are scenario.Outcome* or a status
// code's decimal string. Cell.Failures is keyed by it; the runner and the
// model both name failures with it.
func FailureClass(outcome string, attempts int) string {
	if outcome == scenario.OutcomeCanceled {
		return scenario.OutcomeCanceled
	}
	if attempts == 1 {
		return outcome + " after 1 attempt"
	}
	return outcome + " after " + strconv.Itoa(attempts) + " attempts"
}
