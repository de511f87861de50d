package merge

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// shardsOf deals lat round-robin to n shards of one run of sc, as n
// processes doing items i, i+n, … would record them, and returns the
// shards and one recorder of every item.
func shardsOf(t *testing.T, sc scenario.Scenario, n int, lat []time.Duration, scale upstream.Scale) ([]Shard, *results.Latencies) {
	t.Helper()
	all := results.NewLatencies()
	recs := make([]*results.Latencies, n)
	for i := range recs {
		recs[i] = results.NewLatencies()
	}
	for i, d := range lat {
		all.Record(d)
		recs[i%n].Record(d)
	}
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	out := make([]Shard, n)
	for i, l := range recs {
		share := results.Shard{Index: i, Count: n}
		items := share.Of(len(lat))
		c := results.Cell{Strategy: scenario.Pooled, Pool: 4, Items: items, Succeeded: items - i%2, Failed: i % 2, Attempts: items + i,
			Outcomes: map[string]int{"200": items - i%2, "503": i}, Connections: 1 + i, Reconnects: i % 3, Started: t0.Add(time.Duration(i) * time.Millisecond), Ended: t0.Add(time.Second + time.Duration(n-i)*time.Millisecond)}
		if i%2 == 1 {
			c.Failures = map[string]int{"503 after 4 attempts": 1}
		}
		c.SetWall(c.Ended.Sub(c.Started).Seconds(), scale)
		c.Latency = l.Percentiles(scale)
		h, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		c.Histogram = h
		r := &results.Results{Schema: results.SchemaVersion, Scenario: sc, Complete: true, Shard: &share,
			Started: c.Started, Finished: c.Ended, Cells: []results.Cell{c}}
		out[i] = Shard{Path: "shard-" + string(rune('0'+i)), Results: r}
	}
	return out, all
}

func targetScenario(name string) scenario.Scenario {
	return scenario.Scenario{Name: name, Items: 1000, Target: &scenario.Target{URL: "http://127.0.0.1:1/item", Method: "GET"},
		Sweep: scenario.Sweep{Strategies: []scenario.Strategy{scenario.Pooled}, PoolSizes: []int{4}}}
}

// TestMergeExact: n shards merged give the percentiles of one histogram of
// every item, exactly, and counts that add up.
func TestMergeExact(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int
		items int
		scale upstream.Scale
	}{
		{"one shard", 1, 500, 1},
		{"two shards", 2, 1000, 1},
		{"three shards, uneven", 3, 1001, 1},
		{"seven shards at 1:100", 7, 5003, 0.01},
		{"more shards than items", 8, 5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(1, uint64(tc.n)))
			lat := make([]time.Duration, tc.items)
			for i := range lat {
				lat[i] = time.Duration(math.Exp(rnd.NormFloat64()*0.8) * float64(20*time.Millisecond))
			}
			shards, all := shardsOf(t, targetScenario("exact"), tc.n, lat, tc.scale)
			got, err := Merge(shards)
			if err != nil {
				t.Fatal(err)
			}
			if got.MergedShards != tc.n || got.Scenario.Clients != tc.n || !got.Complete {
				t.Errorf("merged_shards %d, clients %d, complete %v; want %d, %d, true", got.MergedShards, got.Scenario.Clients, got.Complete, tc.n, tc.n)
			}
			c := got.Cells[0]
			var succeeded, attempts, conns, reconnects int
			for _, s := range shards {
				succeeded += s.Results.Cells[0].Succeeded
				attempts += s.Results.Cells[0].Attempts
				conns += s.Results.Cells[0].Connections
				reconnects += s.Results.Cells[0].Reconnects
			}
			if c.Items != tc.items || c.Succeeded != succeeded || c.Failed != tc.items-succeeded || c.Attempts != attempts {
				t.Errorf("counts: items %d succeeded %d failed %d attempts %d; want %d %d %d %d", c.Items, c.Succeeded, c.Failed, c.Attempts, tc.items, succeeded, tc.items-succeeded, attempts)
			}
			if c.Connections != conns || c.Reconnects != reconnects {
				t.Errorf("connections %d, reconnects %d; want every shard's: %d, %d", c.Connections, c.Reconnects, conns, reconnects)
			}
			if c.Outcomes["200"] != succeeded || c.Failures["503 after 4 attempts"] != tc.items-succeeded {
				t.Errorf("outcomes %v, failures %v", c.Outcomes, c.Failures)
			}
			want := all.Percentiles(tc.scale)
			for _, p := range []struct {
				name      string
				got, want float64
			}{{"mean", c.Latency.Mean, want.Mean}, {"p50", c.Latency.P50, want.P50}, {"p90", c.Latency.P90, want.P90},
				{"p95", c.Latency.P95, want.P95}, {"p99", c.Latency.P99, want.P99}, {"max", c.Latency.Max, want.Max}} {
				// Bucket counts add exactly; the mean and maximum go
				// through a float of seconds and back (1 ns).
				if math.Abs(p.got-p.want) > 1e-9/float64(tc.scale) {
					t.Errorf("%s %v, one histogram of every item %v", p.name, p.got, p.want)
				}
			}
			span := time.Second + time.Duration(tc.n)*time.Millisecond // earliest start (shard 0) to latest end (shard 0)
			if math.Abs(c.WallSeconds-span.Seconds()) > 1e-9 {
				t.Errorf("wall %v s, want %v", c.WallSeconds, span.Seconds())
			}
			if _, err := results.CellLatencies(&c); err != nil {
				t.Errorf("the merged cell's histogram: %v", err)
			}
		})
	}
}

// TestMergeRefuses: not the shards of one run, each once, is an error
// about the set of shards.
func TestMergeRefuses(t *testing.T) {
	lat := []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 4 * time.Millisecond}
	fresh := func(n int) []Shard { s, _ := shardsOf(t, targetScenario("a"), n, lat, 1); return s }
	for _, tc := range []struct {
		name   string
		shards func() []Shard
		want   string
	}{
		{"none", func() []Shard { return nil }, "no shards"},
		{"duplicate", func() []Shard { s := fresh(3); s[2] = s[1]; return s }, "are both shard 1/3"},
		{"missing", func() []Shard { return fresh(3)[:2] }, "shard 2 of 3 missing"},
		{"different scenarios", func() []Shard {
			s := fresh(2)
			s[1].Results.Scenario.Name = "b"
			return s
		}, `ran scenario "a"`},
		{"different overrides", func() []Shard {
			s := fresh(2)
			s[1].Results.Scenario.Items = 7
			return s
		}, "different versions"},
		{"different counts", func() []Shard {
			s := append(fresh(2), fresh(3)[2])
			return s
		}, "share their count"},
		{"not a shard", func() []Shard {
			s := fresh(2)
			s[1].Results.Shard = nil
			return s
		}, "not a shard"},
		{"a complete shard lacks a cell", func() []Shard {
			s := fresh(2)
			s[1].Results.Cells = s[1].Results.Cells[:0]
			return s
		}, "lacks cell"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Merge(tc.shards())
			if !errors.Is(err, ErrShards) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrShards saying %q", err, tc.want)
			}
		})
	}
}

// TestMergeCellRefuses: cells that cannot be added up exactly are an
// error.
func TestMergeCellRefuses(t *testing.T) {
	lat := []time.Duration{time.Millisecond, 2 * time.Millisecond}
	for _, tc := range []struct {
		name   string
		change func(c *results.Cell)
		want   string
	}{
		{"no histogram", func(c *results.Cell) { c.Histogram = "" }, "no latency histogram"},
		{"a broken histogram", func(c *results.Cell) { c.Histogram = "HISTFAAAA" }, "decoding"},
		{"no timestamps", func(c *results.Cell) { c.Started = time.Time{} }, "started and ended"},
		{"another time scale", func(c *results.Cell) { c.Timescale = 0.5 }, "ran at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := shardsOf(t, targetScenario("a"), 2, lat, 1)
			tc.change(&s[1].Results.Cells[0])
			_, err := Merge(s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestMergeInterrupted: a shard interrupted before a cell leaves that
// cell out and the merged run incomplete.
func TestMergeInterrupted(t *testing.T) {
	lat := []time.Duration{time.Millisecond, 2 * time.Millisecond}
	s, _ := shardsOf(t, targetScenario("a"), 2, lat, 1)
	extra := s[0].Results.Cells[0]
	extra.Pool = 8
	for i := range s {
		s[i].Results.Cells = append(s[i].Results.Cells, extra)
	}
	s[1].Results.Cells = s[1].Results.Cells[:1]
	s[1].Results.Complete = false
	got, err := Merge(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Complete || len(got.Cells) != 1 {
		t.Errorf("complete %v with %d cells, want false with 1", got.Complete, len(got.Cells))
	}
}

// TestMergeRateCells: rate cells of one repeat differ only by their rate
// (pool 0 each): shards merge each rate with itself, never across rates,
// and their schedules add.
func TestMergeRateCells(t *testing.T) {
	lat := make([]time.Duration, 40)
	for i := range lat {
		lat[i] = time.Duration(10+i) * time.Millisecond
	}
	shards, _ := shardsOf(t, targetScenario("rate"), 2, lat, 1)
	for k := range shards {
		c := shards[k].Results.Cells[0]
		c.Strategy, c.Pool = scenario.Rate, 0
		var cells []results.Cell
		for i, r := range []string{"2/s", "4/s"} {
			rate, err := strategy.ParseRate(r)
			if err != nil {
				t.Fatal(err)
			}
			x := c
			x.Rate = &rate
			x.Schedule = &results.Schedule{Started: c.Items, Late: i + 1, StartRate: rate.PerSecond() * 0.99, Uncorrected: results.Percentiles{P99: float64(k + 1)}}
			cells = append(cells, x)
		}
		shards[k].Results.Cells = cells
	}
	m, err := Merge(shards)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cells) != 2 {
		t.Fatalf("%d merged cells, want one per rate", len(m.Cells))
	}
	for i, c := range m.Cells {
		s := c.Schedule
		if c.Rate == nil || c.Rate.PerSecond() != float64(2*(i+1)) || c.Items != 40 || s.Started != 40 || s.Late != 2*(i+1) ||
			math.Abs(s.StartRate-2*0.99*c.Rate.PerSecond()) > 1e-9 || s.Uncorrected.P99 != 2 {
			t.Errorf("cell %d: %s, %d items, schedule %+v", i, c.Label(), c.Items, s)
		}
	}
}
