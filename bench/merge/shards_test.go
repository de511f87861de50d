package merge

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/shardsync"
	"github.com/poolbench/poolbench/bench/sweep"
	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

func TestMain(m *testing.M) {
	// fasthttp's idle-connection cleaner ends on its own after the last
	// connection closed: not a leak.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"))
}

// startMock serves cfg on 127.0.0.1 for the test and returns its item URL.
func startMock(t *testing.T, cfg upstream.Config) string {
	t.Helper()
	srv, err := mocksrv.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	running, err := mocksrv.Listen("127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := running.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return running.URL + "/item"
}

// TestShardsEqualOneProcess: n shards with pool P, run side by side
// against one mock (their cells lined up by bench/shardsync) and merged, count exactly what one process with pool
// n·P counts against the same mock, and their latency percentiles agree
// within the loopback's noise (the merge itself is exact: TestMergeExact).
func TestShardsEqualOneProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the mock for about two seconds")
	}
	const n, pool, items = 3, 2, 60
	url := startMock(t, upstream.Config{Latency: "40ms", Cap: n * pool})
	sc := func(pools int) *scenario.Scenario {
		s := scenario.Scenario{Name: "shards", Items: items, Target: &scenario.Target{URL: url},
			Sweep: scenario.Sweep{Strategies: []scenario.Strategy{scenario.Serial, scenario.Pooled}, PoolSizes: []int{pools}}}
		s = s.WithDefaults()
		return &s
	}
	ctx := context.Background()
	shards := make([]Shard, n)
	errs := make([]error, n)
	meet := t.TempDir()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			shard := results.Shard{Index: i, Count: n}
			b, err := shardsync.New(meet, shard, 30*time.Second)
			if err != nil {
				errs[i] = err
				return
			}
			r, err := sweep.Run(ctx, sc(pool), sweep.Options{Shard: &shard, Calibration: &sweep.Calibration{}, BeforeCell: b.Wait})
			shards[i], errs[i] = Shard{Path: fmt.Sprintf("shard-%d", i), Results: r}, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	merged, err := Merge(shards)
	if err != nil {
		t.Fatal(err)
	}
	one, err := sweep.Run(ctx, sc(n*pool), sweep.Options{Calibration: &sweep.Calibration{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Cells) != len(one.Cells) {
		t.Fatalf("%d merged cells, %d in one process", len(merged.Cells), len(one.Cells))
	}
	for i, m := range merged.Cells {
		o := one.Cells[i]
		if m.Items != o.Items || m.Succeeded != o.Succeeded || m.Failed != o.Failed || m.Attempts != o.Attempts || m.Outcomes["200"] != o.Outcomes["200"] {
			t.Errorf("%s merged: items %d succeeded %d failed %d attempts %d 200s %d; %s in one process: %d %d %d %d %d",
				m.Label(), m.Items, m.Succeeded, m.Failed, m.Attempts, m.Outcomes["200"], o.Label(), o.Items, o.Succeeded, o.Failed, o.Attempts, o.Outcomes["200"])
		}
		// 40 ms of service and the loopback's round trip: a busy machine's
		// scheduling moves items by milliseconds now and then, so the
		// median is held to 10% + 2 ms (the mean and the tail, a few items
		// of 60, would be the noise's; three sweeps in one process under
		// -race add their harnesses' wake-ups).
		for _, p := range []struct {
			name string
			m, o float64
		}{{"p50", m.Latency.P50, o.Latency.P50}} {
			if math.Abs(p.m-p.o) > 0.1*p.o+0.002 {
				t.Errorf("%s %s: merged %.4f s, one process %.4f s", m.Label(), p.name, p.m, p.o)
			}
		}
	}
}
