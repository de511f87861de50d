package model_test

import (
	"context"
	"fmt"
	"time"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// The seed's figures from the closed formula: 1,000 items of 816 ms against
// a service that serves two at once, each 3.92% slower when two run.
func ExampleExactWall() {
	serial := model.ExactWall(1000, 1, 2, 816*time.Millisecond, 0.0392)
	pooled := model.ExactWall(1000, 8, 2, 816*time.Millisecond, 0.0392)
	fmt.Printf("serial %.0f s, pool of 8 %.0f s\n", serial.Seconds(), pooled.Seconds())
	// Output: serial 816 s, pool of 8 424 s
}

// A what-if: a hundred thousand items, a thousand in flight, against a
// service capped at 100 that queues the rest (poolbench predict goes to
// millions).
func ExampleSimulate() {
	p := model.Params{
		Items:       100_000,
		Upstream:    upstream.Config{Latency: "20ms", Cap: 100},
		Latency:     upstream.Fixed(20 * time.Millisecond),
		Timeout:     30 * time.Second,
		KeepAlive:   true,
		MaxAttempts: 4,
		Retry:       scenario.Retry{}.WithDefaults(),
	}
	c, err := model.Simulate(context.Background(), p, scenario.Pooled, 1_000)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("wall %.0f s, %.0f items/s, p50 %.1f s, peak in flight %d, queued %d\n",
		c.ModelWallSeconds, c.Throughput, c.Latency.P50, c.Upstream.PeakInFlight, c.Upstream.PeakQueued)
	// Output: wall 20 s, 5000 items/s, p50 0.2 s, peak in flight 100, queued 900
}
