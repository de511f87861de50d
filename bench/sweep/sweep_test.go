package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/internal/cpuload"
	vegeta "github.com/tsenart/vegeta/v12/lib"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// fasthttp's idle-connection cleaner sleeps up to idleConnFor after
	// the last connection closed, then ends: not a leak. Every other
	// goroutine must be gone.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"))
}

// mustParse parses a scenario written inline.
func mustParse(t *testing.T, src string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse(t.Name()+".yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

// fdsBackTo waits (up to 2 s, as connections finish closing) for the open
// file descriptors to be back to before, and fails the test if they are not.
func fdsBackTo(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for openFDs(t) != before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := openFDs(t); got != before {
		t.Errorf("open file descriptors: %d after the run, %d before", got, before)
	}
}

// decodeRecords reads requests.jsonl lines back with vegeta's decoder.
func decodeRecords(t *testing.T, rec io.Reader) []vegeta.Result {
	t.Helper()
	var out []vegeta.Result
	dec := vegeta.NewJSONDecoder(rec)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

// TestRunParallel runs cells side by side: each has a mock of its own (so
// its own cap and counters), cells come back in plan order, and the
// callbacks count up without overlapping.
func TestRunParallel(t *testing.T) {
	sc := mustParse(t, `
name: par
items: 8
timescale: 0.05
upstream: {latency: 40ms, cap: 2}
sweep: {strategies: [serial, pooled, workers], pool_sizes: [1, 2, 4], parallel: 4}
`)
	fds := openFDs(t)
	var rec bytes.Buffer
	var seen []int
	loads := 0
	res, err := Run(context.Background(), sc, Options{Records: &rec,
		OnCell: func(i, n int, c *results.Cell) { seen = append(seen, i) },
		OnLoad: func(cpuload.Load) {
			if loads++; len(seen) > 0 {
				t.Error("OnLoad called after a cell ended")
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	// How busy the machine was is said once, before the first cell, and
	// recorded over the calibration and the whole run.
	if runtime.GOOS == "linux" {
		if l := res.Machine.Load; loads != 1 || l == nil || l.Start.Seconds <= 0 || l.Run.Seconds < l.Start.Seconds {
			t.Errorf("OnLoad called %d times, machine load %+v: want once, and a run at least as long as its start", loads, l)
		}
	}
	plan := sc.Sweep.Plan()
	if !res.Complete || len(res.Cells) != len(plan) {
		t.Fatalf("complete %v, %d cells, want %d", res.Complete, len(res.Cells), len(plan))
	}
	for i, c := range res.Cells {
		if c.Strategy != plan[i].Strategy || c.Pool != plan[i].Pool {
			t.Errorf("cell %d is %s, want the plan's %s/p=%d", i, c.Label(), plan[i].Strategy, plan[i].Pool)
		}
		if want := int64(min(c.Pool, 2)); c.Upstream == nil || c.Upstream.PeakInFlight != want || c.Upstream.Requests != 8 {
			t.Errorf("%s: upstream %+v, want peak %d and its own 8 requests", c.Label(), c.Upstream, want)
		}
	}
	for i, v := range seen {
		if v != i {
			t.Fatalf("callback ordinals %v, want 0..%d", seen, len(plan)-1)
		}
	}
	// The cells really ran side by side: some two cells' requests overlap
	// in time (4 slots, 7 cells of at least 16 ms each).
	spans := map[string][2]time.Time{}
	records := decodeRecords(t, &rec)
	for _, r := range records {
		sp, ok := spans[r.Attack]
		end := r.Timestamp.Add(r.Latency)
		if !ok || r.Timestamp.Before(sp[0]) {
			sp[0] = r.Timestamp
		}
		if end.After(sp[1]) {
			sp[1] = end
		}
		spans[r.Attack] = sp
	}
	if len(records) != 8*len(plan) {
		t.Errorf("%d records, want %d", len(records), 8*len(plan))
	}
	overlap := false
	for a, sa := range spans {
		for b, sb := range spans {
			if a < b && sa[0].Before(sb[1]) && sb[0].Before(sa[1]) {
				overlap = true
			}
		}
	}
	if !overlap {
		t.Errorf("no two cells overlapped in time: parallel 4 ran them one by one (%v)", spans)
	}
	fdsBackTo(t, fds)
}

// TestRunUpstream runs every strategy against the embedded mock and checks
// what the mock saw, the books, the records and that nothing leaks.
func TestRunUpstream(t *testing.T) {
	sc := mustParse(t, `
name: small
items: 12
timescale: 0.05
upstream: {latency: 40ms, cap: 2, contention: 0.04}
sweep: {strategies: [serial, pooled, workers, unbounded], pool_sizes: [1, 2, 4]}
`)
	fds := openFDs(t)
	var rec bytes.Buffer
	var cells int
	res, err := Run(context.Background(), sc, Options{Records: &rec, OnCell: func(i, n int, c *results.Cell) { cells++ }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || len(res.Cells) != 8 || cells != 8 || res.Schema != results.SchemaVersion {
		t.Fatalf("complete %v, %d cells, %d callbacks", res.Complete, len(res.Cells), cells)
	}
	attempts := 0
	for _, c := range res.Cells {
		want := int64(min(c.Pool, 2))
		if c.Pool == 0 {
			want = 2
		}
		if c.Upstream == nil || c.Upstream.PeakInFlight != want {
			t.Errorf("%s: upstream %+v, want peak in flight %d", c.Label(), c.Upstream, want)
		}
		if c.Succeeded != 12 || c.Failed != 0 || c.Attempts != 12 || c.Upstream.Requests != 12 || c.Upstream.Completed != 12 {
			t.Errorf("%s: %+v", c.Label(), c)
		}
		if c.ModelWallSeconds <= 0 || c.Throughput <= 0 || c.Latency.P50 < 0.04 || c.Latency.Max < c.Latency.P99 {
			t.Errorf("%s: times %+v %+v", c.Label(), c.ModelWallSeconds, c.Latency)
		}
		attempts += c.Attempts
	}
	if s := res.Cells[0]; s.Strategy != scenario.Serial || s.Pool != 1 || res.Cells[7].Strategy != scenario.Unbounded || res.Cells[7].Pool != 0 {
		t.Errorf("plan order: %s ... %s", s.Label(), res.Cells[7].Label())
	}

	// requests.jsonl: vegeta's decoder reads every attempt back; each
	// cell's Seq numbers its attempts from 0 in start order, each once,
	// so that in Seq order no timestamp goes back (vegeta plot needs it).
	seqs := map[string][]uint64{}
	starts := map[string]map[uint64]time.Time{}
	n := 0
	for _, r := range decodeRecords(t, &rec) {
		if r.Code != 200 || r.Method != "GET" || r.URL == "" || r.Latency <= 0 {
			t.Errorf("record %d: %+v", n, r)
		}
		seqs[r.Attack] = append(seqs[r.Attack], r.Seq)
		if starts[r.Attack] == nil {
			starts[r.Attack] = map[uint64]time.Time{}
		}
		starts[r.Attack][r.Seq] = r.Timestamp
		n++
	}
	for a, s := range seqs {
		slices.Sort(s)
		for i, v := range s {
			if v != uint64(i) {
				t.Errorf("%s: Seq %v, want 0..%d once each", a, s, len(s)-1)
				break
			}
			if i > 0 && starts[a][v].Before(starts[a][s[i-1]]) {
				t.Errorf("%s: Seq %d started at %v, before Seq %d at %v", a, v, starts[a][v], s[i-1], starts[a][s[i-1]])
			}
		}
	}
	if n != attempts || len(seqs) != 8 || len(seqs["pooled/p=4/r=0"]) != 12 {
		t.Errorf("%d records for %d attempts, %d attacks", n, attempts, len(seqs))
	}

	// results.json round-trips.
	p := filepath.Join(t.TempDir(), "results.json")
	if err := results.Write(p, res); err != nil {
		t.Fatal(err)
	}
	back, err := results.Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Cells, res.Cells) || !reflect.DeepEqual(back.Scenario, res.Scenario) {
		t.Errorf("results.json did not round-trip:\n%+v\n%+v", back.Cells[0], res.Cells[0])
	}

	// Every connection is closed again.
	fdsBackTo(t, fds)
}

// TestRunRetriesAndRejections: a capped mock that rejects the excess with
// 503 + Retry-After; the unbounded client's retries and failures show, and
// the client's books agree with the mock's. The service (1 s) outlasts the
// Retry-After wait (500 ms), so every second attempt of the unbounded cell
// finds both slots busy and at most 2 third attempts get in: failures
// "after 3 attempts" are certain, not a matter of scheduling.
func TestRunRetriesAndRejections(t *testing.T) {
	sc := mustParse(t, `
name: rejects
items: 20
timescale: 0.01
seed: 3
upstream: {latency: 1s, cap: 2, overflow: reject, retry_after: 500ms, error_rate: 0.1, seed: 5}
client:
  retry: {max_attempts: 3, backoff: exponential, base: 50ms, max: 1s, retry_after: true}
sweep: {strategies: [pooled, unbounded], pool_sizes: [2]}
`)
	res, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cells {
		u := c.Upstream
		if c.Succeeded+c.Failed != 20 || int64(c.Attempts) != u.Requests {
			t.Errorf("%s: books %+v, mock %+v", c.Label(), c, u)
		}
		if int64(c.Outcomes["503"]) != u.Rejected || int64(c.Outcomes["500"]) != u.ErrorsInjected {
			t.Errorf("%s: outcomes %v, mock rejected %d errors %d", c.Label(), c.Outcomes, u.Rejected, u.ErrorsInjected)
		}
	}
	ub := res.Cells[1]
	if ub.Strategy != scenario.Unbounded || ub.Retries() == 0 || ub.Failures["503 after 3 attempts"] == 0 || ub.Upstream.PeakInFlight != 2 {
		t.Errorf("unbounded: retries %d, failures %v, peak %d", ub.Retries(), ub.Failures, ub.Upstream.PeakInFlight)
	}
	// Rejected attempts waited Retry-After (500 ms model) before retrying.
	if ub.Latency.Max < 1.0 {
		t.Errorf("unbounded max item latency %.3f model s, want ≥ 1 s (two Retry-After waits)", ub.Latency.Max)
	}
}

// TestRunDrawsAsTheModel: the mock draws every attempt's fault by its
// item and attempt (upstream.DrawKey), as the model does, so a concurrent
// cell's attempts, failures and outcomes equal the model's exactly, in
// whatever order its attempts reach the mock — over HTTP/1.1 (fasthttp)
// and over h2c (net/http, upstream http: 2), where a cell's requests in
// flight are streams on one connection. A fleet (clients: 3) deals a
// cell's items round robin among independent clients, each with the
// cell's pool and its own connections, every item keeping its draws and
// backoff jitter by its index in the cell, as the model's fleet does.
func TestRunDrawsAsTheModel(t *testing.T) {
	for _, tc := range []struct{ h, clients int }{{1, 1}, {2, 1}, {1, 3}} {
		h, clients := tc.h, tc.clients
		sc := mustParse(t, fmt.Sprintf(`
name: draws
items: 200
clients: %d
seed: 4
upstream: {latency: "uniform(1ms,3ms)", error_rate: 0.3, seed: 8, http: %d}
client:
  retry: {max_attempts: 3, backoff: exponential, base: 1ms, max: 4ms}
sweep: {strategies: [pooled, unbounded, serial], pool_sizes: [16]}
`, clients, h))
		res, err := Run(context.Background(), sc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := model.ParamsFor(sc)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Cells {
			m, err := model.Simulate(t.Context(), p, c.Strategy, c.Pool)
			if err != nil {
				t.Fatal(err)
			}
			if c.Attempts != m.Attempts || c.Failed != m.Failed || !maps.Equal(c.Outcomes, m.Outcomes) {
				t.Errorf("http %d, %d clients, %s: measured %d attempts, %d failed, %v; the model %d, %d, %v",
					h, clients, c.Label(), c.Attempts, c.Failed, c.Outcomes, m.Attempts, m.Failed, m.Outcomes)
			}
			// Every client opens its own: one over h2c (and one more per
			// 100 requests it sends at once before the mock's settings
			// arrive: the streams net/http assumes until then), up to its
			// requests in flight over HTTP/1.1.
			conc, err := model.FleetConcurrency(c.Strategy, c.Pool, c.Items, clients)
			if err != nil {
				t.Fatal(err)
			}
			most := conc
			if h == 2 {
				most = clients + conc/100
			}
			if c.Connections < clients || c.Connections > most {
				t.Errorf("http %d, %d clients, %s: %d connections, want %d to %d", h, clients, c.Label(), c.Connections, clients, most)
			}
		}
	}
}

// TestRunCancel: canceling mid-sweep returns the cells measured, the
// current one marked interrupted with its unfinished items failed as
// canceled, and ctx's error.
func TestRunCancel(t *testing.T) {
	sc := mustParse(t, `
name: cancel
items: 40
timescale: 0.01
upstream: {latency: 200ms, cap: 2}
sweep: {strategies: [pooled], pool_sizes: [4, 2, 1]}
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rec bytes.Buffer
	res, err := Run(ctx, sc, Options{Records: &rec, OnCell: func(i, n int, c *results.Cell) {
		if i == 0 {
			time.AfterFunc(30*time.Millisecond, cancel) // during the second cell
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res == nil || res.Complete || len(res.Cells) != 2 {
		t.Fatalf("results: %+v", res)
	}
	first, cut := res.Cells[0], res.Cells[1]
	if first.Interrupted || first.Succeeded != 40 {
		t.Errorf("first cell: %+v", first)
	}
	if !cut.Interrupted || cut.Failures[scenario.OutcomeCanceled] == 0 || cut.Succeeded+cut.Failed != 40 {
		t.Errorf("interrupted cell: %+v", cut)
	}
	if rec.Len() == 0 {
		t.Error("no records written for the measured cells")
	}
}

func TestRunRefusesRemote(t *testing.T) {
	sc := mustParse(t, "name: r\nitems: 1\ntarget: {url: 'http://192.0.2.1/'}\nsweep: {strategies: [serial]}\n")
	if _, err := Run(context.Background(), sc, Options{}); !errors.Is(err, scenario.ErrRemote) {
		t.Errorf("err = %v, want ErrRemote", err)
	}
}

// failingWriter fails every write, like a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestRunErrorStopsParallelCells: when one cell's records cannot be
// written, the cell running beside it is stopped (interrupted), not run to
// its end, and Run reports the write error.
func TestRunErrorStopsParallelCells(t *testing.T) {
	sc := mustParse(t, `
name: stop
items: 400
timescale: 0.01
upstream: {latency: 100ms, cap: 8}
sweep: {strategies: [pooled, serial], pool_sizes: [8], parallel: 2}
`)
	// pooled(8) ends after ~50 requests' time and fails to write its
	// records; serial needs 400 and is still running then.
	res, err := Run(context.Background(), sc, Options{Records: failingWriter{}})
	if err == nil || !strings.Contains(err.Error(), "writing request records: disk full") {
		t.Fatalf("err = %v, want the records write error", err)
	}
	if res.Complete {
		t.Error("a run that failed says it is complete")
	}
	for _, c := range res.Cells {
		if c.Strategy == scenario.Serial && (!c.Interrupted || c.Failures[scenario.OutcomeCanceled] == 0 || c.Succeeded+c.Failed != c.Items) {
			t.Errorf("serial ran on after the error: %+v", c)
		}
	}
}

// TestKeepAwakeOptIn: the sweep starts the keep-awake process only when
// the scenario asks (keep_awake: true), stops it when the sweep ends,
// says so (Machine.KeptAwake), and still samples the machine's load with
// the process's CPU counted as its own.
func TestKeepAwakeOptIn(t *testing.T) {
	for _, on := range []bool{false, true} {
		src := "name: awake\nitems: 2\ntimescale: 0.1\nupstream: {latency: 10ms}\nsweep: {strategies: [serial], pool_sizes: [1]}\n"
		if on {
			src += "keep_awake: true\n"
		}
		sc := mustParse(t, src)
		var started, stopped int
		var proc *exec.Cmd
		start := func() (func() error, int, error) {
			started++
			proc = exec.Command("sleep", "60") // stands in for the spinner
			if err := proc.Start(); err != nil {
				return nil, 0, err
			}
			return func() error { stopped++; proc.Process.Kill(); return proc.Wait() }, proc.Process.Pid, nil
		}
		res, err := Run(t.Context(), sc, Options{KeepAwake: start, Calibration: &Calibration{RoundTrip: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if on {
			want = 1
		}
		if started != want || stopped != want || res.Machine.KeptAwake != on {
			t.Errorf("keep_awake %v: started %d, stopped %d, kept_awake %v", on, started, stopped, res.Machine.KeptAwake)
		}
		if _, err := cpuload.Take(); err == nil && (res.Machine.Load == nil || res.Machine.Load.Run.Seconds <= 0) {
			t.Errorf("keep_awake %v: machine load %+v", on, res.Machine.Load)
		}
	}
}
