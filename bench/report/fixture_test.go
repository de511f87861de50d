package report

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// This file synthesises realistic results.json and requests.jsonl files for
// the tests: a small discrete-event simulation of a capped upstream (FIFO
// queue or rejection, contention, injected errors) and of clients with P
// slots, retries and exponential backoff with full jitter. The figures are
// what the built-in scenarios measure: seed-816s gives serial 816 s and
// 424 s for every pool of 2 or more; cap-sweep rejects beyond 16 with 503.

// upstreamSim is the simulated upstream and client policy.
type upstreamSim struct {
	latency     float64 // model seconds
	uniform     float64 // half-width of a uniform spread around latency
	contention  float64
	cap         int
	reject      bool
	errRate     float64
	maxAttempts int
	backoffBase float64
	backoffMax  float64
	retryAfter  float64 // the least wait after a rejection (Retry-After honoured)
	jitter      float64 // relative noise on service times
	think       float64 // client time between an item's answer and the next item
}

// attemptRec is one simulated attempt.
type attemptRec struct {
	item       int
	start, end float64
	code       int
}

type simEvent struct {
	t    float64
	seq  int
	kind int // 0 send, 1 service done, 2 response
	item int
	code int
}

type eventQueue []simEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// simulate runs items through a client with pool slots (pool = items for
// unbounded) against u, and returns the cell and its attempts.
func (u upstreamSim) simulate(items, pool int, seed uint64) (results.Cell, []attemptRec) {
	rnd := rand.New(rand.NewPCG(seed, 816))
	var q eventQueue
	seq := 0
	push := func(e simEvent) {
		seq++
		e.seq = seq
		heap.Push(&q, e)
	}
	var (
		cnt        upstream.Counters
		queue      []int
		attempts   []attemptRec
		firstStart = make([]float64, items)
		attStart   = make([]float64, items)
		tries      = make([]int, items)
		latencies  []float64
		next       int
		wall       float64
		cell       results.Cell
	)
	admit := func(item int, t float64) {
		cnt.Admitted++
		cnt.InFlight++
		cnt.PeakInFlight = max(cnt.PeakInFlight, cnt.InFlight)
		base := u.latency
		if u.uniform > 0 {
			base += (2*rnd.Float64() - 1) * u.uniform
		}
		s := base * (1 + u.contention*float64(cnt.InFlight-1)) * (1 + u.jitter*rnd.NormFloat64())
		push(simEvent{t: t + s, kind: 1, item: item})
	}
	startItem := func(t float64) {
		if next < items {
			firstStart[next] = t
			push(simEvent{t: t, kind: 0, item: next})
			next++
		}
	}
	for range min(pool, items) {
		startItem(0)
	}
	for q.Len() > 0 {
		e := heap.Pop(&q).(simEvent)
		switch e.kind {
		case 0: // an attempt reaches the upstream
			tries[e.item]++
			attStart[e.item] = e.t
			cnt.Requests++
			switch {
			case u.cap == 0 || cnt.InFlight < int64(u.cap):
				admit(e.item, e.t)
			case u.reject:
				cnt.Rejected++
				push(simEvent{t: e.t + 0.002, kind: 2, item: e.item, code: 503})
			default:
				queue = append(queue, e.item)
				cnt.PeakQueued = max(cnt.PeakQueued, int64(len(queue)))
			}
		case 1: // service done
			cnt.InFlight--
			cnt.Completed++
			code := 200
			if rnd.Float64() < u.errRate {
				code = 500
				cnt.ErrorsInjected++
			}
			push(simEvent{t: e.t, kind: 2, item: e.item, code: code})
			if len(queue) > 0 {
				admit(queue[0], e.t)
				queue = queue[1:]
			}
		case 2: // the client gets the answer
			attempts = append(attempts, attemptRec{e.item, attStart[e.item], e.t, e.code})
			if e.code != 200 && tries[e.item] < u.maxAttempts {
				d := min(u.backoffMax, u.backoffBase*math.Pow(2, float64(tries[e.item]-1)))
				wait := rnd.Float64() * d
				if e.code == 503 {
					wait = max(wait, u.retryAfter)
				}
				push(simEvent{t: e.t + wait, kind: 0, item: e.item})
				continue
			}
			if e.code == 200 {
				cell.Succeeded++
			} else {
				cell.Failed++
				if cell.Failures == nil {
					cell.Failures = map[string]int{}
				}
				cell.Failures[itoa(e.code)+" after "+itoa(tries[e.item])+" attempts"]++
			}
			latencies = append(latencies, e.t-firstStart[e.item])
			wall = e.t
			startItem(e.t + u.think)
		}
	}
	cell.Items = items
	cell.Attempts = len(attempts)
	cell.Outcomes = map[string]int{}
	for _, a := range attempts {
		cell.Outcomes[itoa(a.code)]++
	}
	cell.SetWall(wall, 1) // in model seconds; buildFixture scales it
	cell.Latency = percentilesOf(latencies)
	cell.Upstream = &cnt
	return cell, attempts
}

func itoa(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// percentilesOf computes exact nearest-rank percentiles.
func percentilesOf(v []float64) results.Percentiles {
	v = slices.Clone(v)
	slices.Sort(v)
	at := func(p float64) float64 { return v[max(0, int(math.Ceil(p*float64(len(v))))-1)] }
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return results.Percentiles{Mean: sum / float64(len(v)), P50: at(0.5), P90: at(0.9), P95: at(0.95), P99: at(0.99), Max: v[len(v)-1]}
}

// fixture is a synthetic run: its results and its attempts per cell label.
type fixture struct {
	results  *results.Results
	attempts map[string][]attemptRec
}

var fixtureStart = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// buildFixture simulates every cell of sc against u.
func buildFixture(sc scenario.Scenario, u upstreamSim) fixture {
	f := fixture{attempts: map[string][]attemptRec{}}
	r := &results.Results{
		Schema:   results.SchemaVersion,
		Scenario: sc,
		Machine:  results.Machine{GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", CPUs: 2, GitRevision: "1f3775f"},
		Started:  fixtureStart,
		Complete: true,
	}
	ts := sc.Timescale.Fixed.Factor()
	clock := 0.0
	seed := uint64(1)
	repeats := max(1, sc.Sweep.Repeats)
	for rep := range repeats {
		for _, st := range sc.Sweep.Strategies {
			pools := sc.Sweep.PoolSizes
			switch st {
			case scenario.Serial:
				pools = []int{1}
			case scenario.Unbounded:
				pools = []int{0}
			}
			for _, p := range pools {
				slots := p
				if p == 0 {
					slots = sc.Items
				}
				seed++
				c, att := u.simulate(sc.Items, slots, seed)
				c.Strategy, c.Pool, c.Repeat = st, p, rep
				c.SetWall(c.ModelWallSeconds*ts, sc.Timescale.Fixed)
				for i := range att {
					att[i].start = clock + att[i].start*ts
					att[i].end = clock + att[i].end*ts
				}
				clock += c.WallSeconds + 0.05
				f.attempts[c.Label()] = att
				r.Cells = append(r.Cells, c)
			}
		}
	}
	r.Finished = fixtureStart.Add(time.Duration(clock * float64(time.Second)))
	f.results = r
	return f
}

// seedFixture is seed-816s as the bench and model helpers produce it:
// 1,000 items, 816 ms, cap 2 queued with 4% contention, pools 1..64 at
// 1:12.5, with the model's predictions and recommendation and the
// harness's small error in every cell.
func seedFixture() fixture { return seedFixtureCap(2) }

// seedFixtureCap is seedFixture with an upstream cap of capacity.
func seedFixtureCap(capacity int) fixture {
	sc := scenario.Scenario{
		Name:        "seed-816s",
		Description: "The seed's measurement: 1,000 calls to a service that takes 816 ms and serves two at a time.",
		Items:       1000,
		Timescale:   scenario.Fixed(0.08),
		Seed:        816,
		Upstream:    &upstream.Config{Latency: "816ms", Seed: 816, Cap: capacity, Overflow: upstream.OverflowQueue, Contention: 32.0 / 816},
		Client:      scenario.Client{Timeout: upstream.Duration(30 * time.Minute), Retry: scenario.Retry{MaxAttempts: 4}},
		Sweep: scenario.Sweep{
			Strategies: []scenario.Strategy{scenario.Serial, scenario.Pooled, scenario.Workers, scenario.Unbounded},
			PoolSizes:  []int{1, 2, 4, 8, 16, 32, 64},
			Repeats:    1,
		},
	}
	f := buildFixture(sc, upstreamSim{latency: 0.816, contention: 32.0 / 816, cap: capacity, maxAttempts: 4, jitter: 0.002})
	for i := range f.results.Cells {
		c := &f.results.Cells[i]
		switch {
		case c.Pool == 1:
			c.PredictedWallSeconds = 816
		default:
			k := float64(min(capacity, max(c.Pool, capacity)))
			if c.Pool > 0 {
				k = float64(min(capacity, c.Pool))
			}
			c.PredictedWallSeconds = 1000 / k * 0.816 * (1 + 32.0/816*(k-1))
		}
		c.Efficiency = c.PredictedWallSeconds / c.ModelWallSeconds
	}
	f.setHarness(0.0003, 0.02, nil)
	f.results.Recommended = results.Recommend(f.results.Cells)
	return f
}

// setHarness gives every cell the harness's measure of itself: added wall
// seconds per attempt, spread over the cell's lanes of requests in flight,
// as a share of its wall time, and the process's share of the machine;
// cells for which bound returns true are flagged, their error and CPU
// raised to what a starved harness measures.
func (f fixture) setHarness(added, cpu float64, bound func(c *results.Cell) bool) {
	for i := range f.results.Cells {
		c := &f.results.Cells[i]
		lanes := c.Pool
		if lanes == 0 {
			lanes = c.Items
		}
		lanes = max(1, min(lanes, c.Attempts))
		h := &results.Harness{CPU: cpu, AddedPerAttempt: added,
			Error: added * float64(c.Attempts) / float64(lanes) / c.WallSeconds}
		if bound != nil && bound(c) {
			h.CPU, h.AddedPerAttempt = 0.94, 40*added
			h.Error = h.AddedPerAttempt * float64(c.Attempts) / float64(lanes) / c.WallSeconds
			h.Bound = true
			h.Reason = "poolbench used 94% of the machine's CPU during the cell: run it with fewer cells in parallel or fewer requests in flight"
		}
		c.Harness = h
	}
}

// capSweepFixture is cap-sweep as scenarios/cap-sweep.yaml runs it: 400
// items of about 200 ms, cap 16 rejecting with 503 and Retry-After 1 s,
// 2% injected errors, 4 attempts with exponential backoff, pooled at
// pools 1..512 and unbounded (no serial cell), one repeat at 1:50, no
// predictions. The harness is starved in pooled(512) and unbounded, so
// that every output shows harness-bound cells.
func capSweepFixture() fixture {
	keepAlive := true
	sc := scenario.Scenario{
		Name:        "cap-sweep",
		Description: "A 200 ms service capped at 16 in flight that rejects the excess with 503 and Retry-After: pools of 1 to 512 and unbounded, retries with exponential backoff.",
		Items:       400,
		Timescale:   scenario.Fixed(0.02),
		Seed:        16,
		Upstream: &upstream.Config{Latency: "uniform(180ms,220ms)", Seed: 16, Cap: 16, Overflow: upstream.OverflowReject,
			RejectStatus: 503, RetryAfter: upstream.Duration(time.Second), ErrorRate: 0.02, ErrorStatus: 500},
		Client: scenario.Client{Timeout: upstream.Duration(10 * time.Second), KeepAlive: &keepAlive, Retry: scenario.Retry{
			MaxAttempts: 4, On: []string{"5xx", "429", "connect", "timeout"}, Backoff: "exponential",
			Base: upstream.Duration(100 * time.Millisecond), Max: upstream.Duration(2 * time.Second), RetryAfter: true}},
		Sweep: scenario.Sweep{
			Strategies: []scenario.Strategy{scenario.Pooled, scenario.Unbounded},
			PoolSizes:  []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
			Repeats:    1,
		},
	}
	f := buildFixture(sc, upstreamSim{latency: 0.2, uniform: 0.02, cap: 16, reject: true, errRate: 0.02, maxAttempts: 4,
		backoffBase: 0.1, backoffMax: 2, retryAfter: 1, jitter: 0.01, think: 0.002})
	f.setHarness(0.00003, 0.05, func(c *results.Cell) bool { return c.Pool == 0 || c.Pool >= 512 })
	return f
}

// writeRequests writes f's attempts as vegeta Results, one JSON line each,
// cells in results order, Seq from 0 in start order.
func (f fixture) writeRequests(t testing.TB, path string) {
	t.Helper()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	enc := vegeta.NewJSONEncoder(out)
	for _, c := range f.results.Cells {
		att := slices.Clone(f.attempts[c.Label()])
		slices.SortStableFunc(att, func(a, b attemptRec) int {
			switch {
			case a.start < b.start:
				return -1
			case a.start > b.start:
				return 1
			}
			return 0
		})
		for i, a := range att {
			res := vegeta.Result{
				Attack:    c.Label(),
				Seq:       uint64(i),
				Code:      uint16(a.code),
				Timestamp: fixtureStart.Add(time.Duration(a.start * float64(time.Second))),
				Latency:   time.Duration((a.end - a.start) * float64(time.Second)),
				BytesIn:   64,
				Method:    "GET",
				URL:       "http://127.0.0.1:41000/item/" + itoa(a.item),
			}
			if a.code != 200 {
				res.Error = itoa(a.code) + " Service Unavailable"
			}
			if err := enc.Encode(&res); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// writeDir writes f's results.json (and requests.jsonl when withRequests)
// into a new folder under t.TempDir().
func (f fixture) writeDir(t testing.TB, withRequests bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), f.results.Scenario.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.Write(filepath.Join(dir, "results.json"), f.results); err != nil {
		t.Fatal(err)
	}
	if withRequests {
		f.writeRequests(t, filepath.Join(dir, "requests.jsonl"))
	}
	return dir
}

// requests returns what readRequests would keep of the wanted cells from
// the requests.jsonl writeRequests writes, without the file.
func (f fixture) requests(want wanted) *requestData {
	out := newRequestData(want)
	for _, c := range f.results.Cells {
		for _, a := range f.attempts[c.Label()] {
			start := fixtureStart.Add(time.Duration(a.start * float64(time.Second)))
			out.add(c.Label(), start, time.Duration((a.end-a.start)*float64(time.Second)))
		}
	}
	out.done()
	return out
}

// writeResultsFile writes f's results.json to path.
func writeResultsFile(path string, f fixture) error {
	return results.Write(path, f.results)
}
