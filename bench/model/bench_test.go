package model

import (
	"context"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// simCases are the upstreams the simulation benchmarks run: no cap, a
// cap that queues, a cap that rejects (with injected errors).
var simCases = []struct {
	name string
	up   upstream.Config
}{
	{"nocap", upstream.Config{Contention: 0.0001}},
	{"cap100-queue", upstream.Config{Cap: 100, Contention: 0.001}},
	{"cap1000-reject", upstream.Config{Cap: 1000, Overflow: upstream.OverflowReject, ErrorRate: 0.01}},
}

// BenchmarkSimulate simulates 20,000 items at pool 2,000, retries and
// timeouts included: the per-item cost of the simulation, small enough for
// scripts/allocs.sh to hold its allocations per operation to a baseline
// on every make test.
func BenchmarkSimulate(b *testing.B) { benchSimulate(b, 20_000, 2_000) }

// BenchmarkSimulate1M simulates 1,000,000 items at pool 10,000.
func BenchmarkSimulate1M(b *testing.B) { benchSimulate(b, 1_000_000, 10_000) }

// benchSimulate simulates items at pool against each of simCases, with
// the CPU time per op beside the wall time: on a shared machine wall time
// per op also counts the time other processes held the cores.
func benchSimulate(b *testing.B, items, pool int) {
	for _, tc := range simCases {
		b.Run(tc.name, func(b *testing.B) {
			p := Params{Items: items, Latency: mustLatency(b, "uniform(5ms,15ms)"), Upstream: tc.up,
				Timeout: 30 * time.Second, MaxAttempts: 4, Retry: retryAll{delay: 10 * time.Millisecond}}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := Simulate(context.Background(), p, scenario.Pooled, pool); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
