package probe_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/poolbench/poolbench/bench/probe"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Against a service that rejects at once past its cap, the probe still
// sends no faster than -max-rate once a cell's pool has started: in any
// t seconds of a cell, at most pool + rate × t attempts (the rejections
// alone would send thousands a second).
func TestProbeKeepsItsRate(t *testing.T) {
	if testing.Short() {
		t.Skip("probes a mock for seconds")
	}
	const maxRate = 100.0
	url, _ := startMock(t, upstream.Config{Latency: "50ms", Cap: 1, Overflow: upstream.OverflowReject})
	var rec bytes.Buffer
	o, err := probe.Run(context.Background(), probe.Options{Target: scenario.Target{URL: url}, Name: "rate",
		Limits: probe.Limits{MaxTime: 30 * time.Second, MaxRate: maxRate}, ErrorBudget: 0.5, Records: &rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped: %s", o.Stopped)
	starts := map[string][]time.Time{}
	dec := vegeta.NewJSONDecoder(&rec)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		starts[r.Attack] = append(starts[r.Attack], r.Timestamp)
	}
	rejected := false
	for _, c := range o.Results.Cells {
		rejected = rejected || c.Outcomes["503"] > 0
		ts := starts[c.Label()]
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		pool := max(c.Pool, 1)
		for i := range ts {
			for j := i + 1; j < len(ts); j++ {
				// one attempt of slack: a timer's wake-up and the start stamp
				if n, allowed := j-i+1, float64(pool)+maxRate*ts[j].Sub(ts[i]).Seconds()+1; float64(n) > allowed {
					t.Fatalf("%s: %d attempts in %v, above %d + %g/s × that", c.Label(), n, ts[j].Sub(ts[i]), pool, maxRate)
				}
			}
		}
	}
	if !rejected {
		t.Fatal("no cell was rejected: the test did not probe past the cap")
	}
}
