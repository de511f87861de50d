package results

import "github.com/poolbench/poolbench/bench/scenario"

// FailureClass names why an item failed from its last attempt's outcome
// and its number of attempts: "503 after 4 attempts", "timeout after 1
// attempt", or "canceled" or "time-limit" whatever the attempts. Outcomes
// are scenario.Outcome* or a status code's decimal string. Cell.Failures
// is keyed by it; the runner and the model both name failures with it
// (scenario.FailureClass is its one home).
func FailureClass(outcome string, attempts int) string {
	return scenario.FailureClass(outcome, attempts)
}
