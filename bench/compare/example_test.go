package compare_test

import (
	"fmt"
	"os"

	"github.com/poolbench/poolbench/bench/compare"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// run builds a run of one pooled cell: wall times in model seconds, one
// per repeat, and the upstream's peak in flight.
func run(peak int64, walls ...float64) *results.Results {
	r := &results.Results{Schema: results.SchemaVersion, Scenario: scenario.Scenario{Name: "demo"}, Complete: true}
	for i, w := range walls {
		r.Cells = append(r.Cells, results.Cell{
			Strategy: scenario.Pooled, Pool: 4, Repeat: i, Items: 16, Succeeded: 16, Attempts: 16,
			ModelWallSeconds: w, Throughput: 16 / w, Goodput: 16 / w,
			Latency:  results.Percentiles{P50: w / 4, P95: w / 4, P99: w / 4},
			Upstream: &upstream.Counters{PeakInFlight: peak},
		})
	}
	return r
}

// A run 10% slower than its baseline, over five repeats each, regresses.
func ExampleResults() {
	base := run(4, 0.801, 0.803, 0.800, 0.802, 0.804)
	slow := run(4, 0.882, 0.880, 0.884, 0.881, 0.883)
	rep, err := compare.Results(base, slow, compare.DefaultOptions)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range rep.Rows {
		fmt.Printf("%s %s: %s (p=%.3f)\n", row.Key.Cell(), row.Metric.Name, row.Verdict, row.P)
		break
	}
	fmt.Println(rep.Failed())
	// Output:
	// pooled/pool=4 wall: regressed (p=0.008)
	// true
}

// A pool that delivers one request fewer than before is a change in the
// concurrency behaviour, whatever the timings say.
func ExampleResults_peakInFlight() {
	base := run(4, 0.801, 0.803, 0.800, 0.802, 0.804)
	fewer := run(3, 0.802, 0.800, 0.803, 0.801, 0.804)
	rep, _ := compare.Results(base, fewer, compare.DefaultOptions)
	for _, row := range rep.Failures() {
		fmt.Printf("%s %s: %s\n", row.Key.Cell(), row.Metric.Name, row.Verdict)
	}
	// Output:
	// pooled/pool=4 peak in flight: changed
}

// WriteBenchFormat writes what benchstat reads.
func ExampleWriteBenchFormat() {
	r := run(4, 0.801, 0.803)
	r.Cells[1].Attempts = 17
	if err := compare.WriteBenchFormat(os.Stdout, r); err != nil {
		fmt.Println(err)
	}
	// Output:
	// scenario: demo
	// timescale: 1
	// Unit sec/op better=lower assume=nothing
	// Unit ok-items/s better=higher assume=nothing
	// Unit p95-sec better=lower assume=nothing
	// Unit failed-items better=lower assume=exact
	// Unit retries better=lower assume=exact
	// BenchmarkDemo/strategy=pooled/pool=4 1 0.801 sec/op 19.975031210986266 ok-items/s 0.20025 p95-sec 0 failed-items 0 retries
	// BenchmarkDemo/strategy=pooled/pool=4 1 0.803 sec/op 19.9252801992528 ok-items/s 0.20075 p95-sec 0 failed-items 1 retries
}
