package sweep

import (
	"slices"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/scenario"
)

// Memory a run needs per request in flight (client and embedded mock
// together) and on top of them, rounded up from what /usr/bin/time -v
// measures (README, "Memory").
const (
	footprintBase     = 48 << 20 // the process, its charts and buffers
	footprintInFlight = 20 << 10 // per request in flight, rounded up
)

// Footprint is what a scenario's sweep needs of the machine at its peak:
// the requests in flight in the cells that run at once (the largest ones,
// sweep.parallel of them), the file descriptors they hold (two per
// request with the embedded mock: the client's and the mock's; one
// against a target), and the memory they take.
type Footprint struct {
	InFlight int
	FDs      int
	Bytes    uint64
}

// FootprintOf estimates sc's footprint. sc must be valid.
func FootprintOf(sc *scenario.Scenario) Footprint {
	var conc []int
	for _, p := range sc.Sweep.Plan() {
		c, err := model.FleetConcurrency(p.Strategy, p.Pool, sc.Items, sc.ClientCount())
		if err != nil {
			continue
		}
		conc = append(conc, min(c, sc.Items))
	}
	slices.SortFunc(conc, func(a, b int) int { return b - a })
	n := min(max(sc.Sweep.Parallel, 1), len(conc))
	var f Footprint
	for _, c := range conc[:n] {
		f.InFlight += c
	}
	perRequest := 2
	if sc.Target != nil {
		perRequest = 1
	}
	f.FDs = f.InFlight * perRequest
	f.Bytes = footprintBase + uint64(f.InFlight)*footprintInFlight
	return f
}
