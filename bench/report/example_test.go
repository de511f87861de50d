package report_test

import (
	"os"

	"github.com/poolbench/poolbench/bench/report"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// WriteTable prints the computed headline and the terminal table: one row
// per strategy × pool, medians over repeats, times in model seconds,
// items/s counting succeeded items only.
func ExampleWriteTable() {
	cell := func(s scenario.Strategy, pool int, wall, p50, p99 float64, peak int64) results.Cell {
		c := results.Cell{
			Strategy: s, Pool: pool, Items: 1000, Succeeded: 1000, Attempts: 1000,
			Latency:  results.Percentiles{P50: p50, P95: p99, P99: p99, Max: p99},
			Upstream: &upstream.Counters{Requests: 1000, Admitted: 1000, Completed: 1000, PeakInFlight: peak},
		}
		c.SetWall(wall/100, 0.01)
		return c
	}
	r := &results.Results{
		Schema: results.SchemaVersion,
		Scenario: scenario.Scenario{Name: "seed-816s", Items: 1000, Timescale: scenario.Fixed(0.01),
			Upstream: &upstream.Config{Latency: "816ms", Cap: 2}},
		Complete: true,
		Cells: []results.Cell{
			cell(scenario.Serial, 1, 816, 0.816, 0.82, 1),
			cell(scenario.Pooled, 2, 424, 0.848, 0.852, 2),
			cell(scenario.Pooled, 8, 424.5, 3.39, 3.4, 2),
			cell(scenario.Unbounded, 0, 424.2, 212, 420, 2),
		},
	}
	if err := report.WriteTable(os.Stdout, r, 100); err != nil {
		panic(err)
	}
	// Output:
	// seed-816s: serial 816 s → pooled(2) 424 s: 1.92× faster; pools above 2 gain nothing (upstream cap 2)
	// Unbounded: 424 s (1.92× vs serial): item latency p50 212 s, p99 420 s vs 852 ms for pooled(2).
	// Recommended: pooled(2), the best goodput (2.36 items/s succeeded); every smaller pool is more than
	// 5% slower or fails more items.
	// cell       fail  tries   wall  speedup  items/s     p50     p95     p99  peak  rej
	// ──────────────────────────────────────────────────────────────────────────────────
	// serial        0   1000  816 s    1.00×     1.23  816 ms  820 ms  820 ms     1    0
	// pooled(2)     0   1000  424 s    1.92×     2.36  848 ms  852 ms  852 ms     2    0
	// pooled(8)     0   1000  425 s    1.92×     2.36  3.39 s   3.4 s   3.4 s     2    0
	// unbounded     0   1000  424 s    1.92×     2.36   212 s   420 s   420 s     2    0
	// 1,000 items per cell; times in model seconds (run at 1:100); items/s: succeeded items per model
	// second (goodput); speed-up: goodput relative to serial; latency per item, first attempt to final
	// answer.
}
