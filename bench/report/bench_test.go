package report

import (
	"context"
	"testing"

	"github.com/poolbench/poolbench/bench/results"
)

// BenchmarkWriteAll renders a run of 100 cells × 1,000 items, with its
// requests.jsonl of 100,000 attempts: tables, six charts in PNG and SVG,
// and the page. The issue asks for under a second.
func BenchmarkWriteAll(b *testing.B) {
	f := seedFixture()
	sc := f.results.Scenario
	sc.Sweep.PoolSizes = []int{1, 2, 4, 8, 16, 32, 64, 128, 256}
	sc.Sweep.Repeats = 5
	f = buildFixture(sc, upstreamSim{latency: 0.816, contention: 32.0 / 816, cap: 2, maxAttempts: 4, jitter: 0.002})
	if n := len(f.results.Cells); n != 100 {
		b.Fatalf("%d cells, want 100", n)
	}
	dir := f.writeDir(b, true)
	r, err := results.Read(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := WriteAll(context.Background(), dir, r); err != nil {
			b.Fatal(err)
		}
	}
}
