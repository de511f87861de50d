package report

import (
	"fmt"

	"github.com/poolbench/poolbench/bench/results"
)

// ScheduleLines says, one line per rate cell, what its schedule did: the
// rate asked and achieved, p50 and p99 from the intended start (the
// table's, coordinated-omission-aware) beside the uncorrected ones from
// the actual start, and how many items started late and by how much, e.g.
//
//	rate/rps=80/r=0: started 200 at 80/s (asked 80/s); p50 1.3 s, p99 2.55 s from the intended start (uncorrected 1.3 s, 2.55 s); 0 of 200 started late
func ScheduleLines(cells []results.Cell) []string {
	var out []string
	for _, c := range cells {
		s := c.Schedule
		if s == nil {
			continue
		}
		late := fmt.Sprintf("%d of %d started late", s.Late, s.Started)
		if s.Late > 0 {
			late += fmt.Sprintf(" (more than %s after the intended start: p99 %s, max %s)", seconds(s.LateToleranceSeconds), seconds(s.Lateness.P99), seconds(s.Lateness.Max))
		}
		out = append(out, fmt.Sprintf("%s: started %d at %s/s (asked %s/s); p50 %s, p99 %s from the intended start (uncorrected %s, %s); %s",
			c.Label(), s.Started, rate(s.StartRate), rate(s.IntendedRate),
			seconds(c.Latency.P50), seconds(c.Latency.P99), seconds(s.Uncorrected.P50), seconds(s.Uncorrected.P99), late))
	}
	return out
}
