package bench

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// BenchmarkStrategyZeroLatency measures the client's own cost per request:
// b.N items against the mock with zero latency, in one cell. Compare
// pooled/64 with `hey -c 64` through scripts/hey-vs-pooled.sh.
func BenchmarkStrategyZeroLatency(b *testing.B) {
	for _, tc := range []struct {
		st   Strategy
		pool int
	}{{Serial, 1}, {Pooled, 64}, {Workers, 64}} {
		b.Run(string(tc.st), func(b *testing.B) {
			srv, err := mocksrv.New(upstream.Config{Latency: "0s"})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			defer srv.Close()
			c := &client{tr: newTransport(tc.pool, b.N, true), url: ts.URL + "/item", method: "GET",
				timeout: DefaultTimeout, scale: 1, retry: Retry{}.WithDefaults()}
			defer c.tr.CloseIdleConnections()
			if err := c.prepare(); err != nil {
				b.Fatal(err)
			}
			sc := &Scenario{Items: b.N, Timescale: 1}
			b.ReportAllocs()
			b.ResetTimer()
			cell, _ := runCell(context.Background(), c, sc, CellPlan{tc.st, tc.pool, 0}, nil)
			b.StopTimer()
			if cell.Succeeded != b.N {
				b.Fatalf("%d of %d succeeded: %v", cell.Succeeded, b.N, cell.Failures)
			}
			b.ReportMetric(float64(b.N)/cell.WallSeconds, "req/s")
		})
	}
}
