package sweep

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// BenchmarkStrategyZeroLatency measures the client's own cost per request:
// b.N items against the mock with zero latency, in one cell. Compare
// pooled/64 with its peers through scripts/client-vs-peers.sh.
func BenchmarkStrategyZeroLatency(b *testing.B) {
	for _, tc := range []struct {
		st   scenario.Strategy
		pool int
	}{{scenario.Serial, 1}, {scenario.Pooled, 64}, {scenario.Workers, 64}} {
		b.Run(string(tc.st), func(b *testing.B) {
			srv, err := mocksrv.New(upstream.Config{Latency: "0s"})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			defer srv.Close()
			cl := (&scenario.Scenario{}).WithDefaults().Client
			c, err := newClient(target{url: ts.URL + "/item", method: "GET"}, cl, 1, tc.pool, false)
			if err != nil {
				b.Fatal(err)
			}
			defer c.closeIdle()
			b.ReportAllocs()
			b.ResetTimer()
			cell := newCellRun(c, scenario.CellPlan{Strategy: tc.st, Pool: tc.pool}, b.N, 1, nil, nil).run(context.Background())
			b.StopTimer()
			if cell.Succeeded != b.N {
				b.Fatalf("%d of %d succeeded: %v", cell.Succeeded, b.N, cell.Failures)
			}
			b.ReportMetric(float64(b.N)/cell.WallSeconds, "req/s")
		})
	}
}
