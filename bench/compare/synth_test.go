package compare

import (
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// synth describes a synthetic run: a fixed-latency upstream serving items
// through pools, every timing scaled by factor, with a small deterministic
// jitter (±1%) that differs between repeats and between runs (phase).
type synth struct {
	scenario string
	repeats  int
	factor   float64 // 1 = baseline; 1.10 = 10% slower
	phase    int     // shifts the jitter pattern so two runs are not identical
	pools    []int   // pooled cells; serial is always included
	items    int
	latency  float64 // model seconds per request
	cap      int     // upstream cap: peak in flight = min(pool, cap)
	// edit, when set, adjusts each cell after it is built.
	edit func(c *results.Cell)
}

func defaultSynth() synth {
	return synth{scenario: "ci-gate", repeats: 6, factor: 1, pools: []int{2, 4, 8}, items: 100, latency: 0.1, cap: 4}
}

// jitter is a deterministic ±1% pattern.
func jitter(i int) float64 {
	return 1 + 0.01*(float64((i*7)%6)-2.5)/2.5
}

func (s synth) build() *results.Results {
	r := &results.Results{
		Schema:   results.SchemaVersion,
		Scenario: scenario.Scenario{Name: s.scenario, Items: s.items, Timescale: scenario.Fixed(0.1), Sweep: scenario.Sweep{Strategies: []scenario.Strategy{scenario.Serial, scenario.Pooled}, PoolSizes: s.pools, Repeats: s.repeats}},
		Machine:  results.Machine{GoVersion: "go1.26.0", GOOS: "linux", GOARCH: "amd64", CPUs: 2},
		Started:  time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC),
		Finished: time.Date(2026, 11, 22, 12, 1, 0, 0, time.UTC),
		Complete: true,
	}
	type cell struct {
		st   scenario.Strategy
		pool int
	}
	cells := []cell{{scenario.Serial, 1}}
	for _, p := range s.pools {
		cells = append(cells, cell{scenario.Pooled, p})
	}
	i := s.phase
	for rep := range s.repeats {
		for _, c := range cells {
			i++
			conc := min(c.pool, s.cap)
			lat := s.latency * s.factor * jitter(i)
			wall := lat * float64((s.items+conc-1)/conc) * jitter(i+3)
			cl := results.Cell{
				Strategy: c.st, Pool: c.pool, Repeat: rep,
				Items: s.items, Succeeded: s.items, Attempts: s.items,
				WallSeconds: wall * 0.1, ModelWallSeconds: wall, Throughput: float64(s.items) / wall, Goodput: float64(s.items) / wall,
				Latency:  results.Percentiles{Mean: lat, P50: lat, P90: lat * 1.01, P95: lat * 1.02, P99: lat * 1.03, Max: lat * 1.04},
				Upstream: &upstream.Counters{Requests: int64(s.items), Admitted: int64(s.items), Completed: int64(s.items), PeakInFlight: int64(conc)},
			}
			if c.pool > s.cap {
				// Queued at the upstream: the item waits for a slot.
				cl.Latency.P95 *= 1.5
				cl.Latency.P99 *= 1.6
			}
			if s.edit != nil {
				s.edit(&cl)
			}
			r.Cells = append(r.Cells, cl)
		}
	}
	return r
}
