package report

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/plotter"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// The requests.jsonl reader keeps the wanted cells, reads lines vegeta's
// encoder did not write (other field order) through vegeta's decoder, and
// names the record it cannot read.
func TestDecodeRequests(t *testing.T) {
	in := `{"attack":"pooled/p=2/r=0","seq":0,"code":200,"timestamp":"2026-11-22T12:00:01Z","latency":8480000}
{"attack":"serial/p=1/r=0","seq":0,"code":200,"timestamp":"2026-11-22T12:00:00Z","latency":8160000}
{"attack":"unbounded/p=0/r=0","seq":0,"code":200,"timestamp":"2026-11-22T12:00:00Z","latency":7000000}

{"seq":1,"latency":9000000,"attack":"pooled/p=2/r=0","code":503,"timestamp":"2026-11-22T12:00:00Z"}
`
	w := wanted{cdf: map[string]bool{"pooled/p=2/r=0": true, "unbounded/p=0/r=0": true}, inflight: "pooled/p=2/r=0"}
	got, err := decodeRequests(context.Background(), strings.NewReader(in), "requests.jsonl", w)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.latency) != 2 || got.latencyOf("serial/p=1/r=0") != nil {
		t.Errorf("latencies kept for %d cells, want the 2 wanted", len(got.latency))
	}
	if h := got.latencyOf("pooled/p=2/r=0"); h.count() != 2 || h.min != 8480*time.Microsecond || h.max != 9*time.Millisecond {
		t.Errorf("pooled latencies: %d, %v to %v", h.count(), h.min, h.max)
	}
	if n := got.latencyOf("unbounded/p=0/r=0").count(); n != 1 {
		t.Errorf("unbounded latencies: %d", n)
	}
	// Only the in-flight cell keeps spans, sorted.
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC).UnixNano()
	sp := got.inflightOf("pooled/p=2/r=0")
	if want := []int64{t0, t0 + 1e9}; !slices.Equal(sp.starts, want) {
		t.Errorf("starts %v, want %v", sp.starts, want)
	}
	if want := []int64{t0 + 9e6, t0 + 1e9 + 8.48e6}; !slices.Equal(sp.ends, want) {
		t.Errorf("ends %v, want %v", sp.ends, want)
	}
	if sp := got.inflightOf("unbounded/p=0/r=0"); len(sp.starts) != 0 {
		t.Errorf("a CDF cell kept spans: %v", sp)
	}
	// The in-flight cell alone: spans, no histogram.
	got, err = decodeRequests(context.Background(), strings.NewReader(in), "requests.jsonl", wanted{inflight: "serial/p=1/r=0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.latency) != 0 || len(got.spans.starts) != 1 {
		t.Errorf("in-flight cell only: %d histograms, %d spans", len(got.latency), len(got.spans.starts))
	}
	_, err = decodeRequests(context.Background(), strings.NewReader(in+"{\"attack\": [1]}\n"), "requests.jsonl", wanted{})
	if err == nil || !strings.Contains(err.Error(), "record 6") {
		t.Errorf("bad record: err = %v, want it named as record 6", err)
	}
}

func FuzzDecodeRequests(f *testing.F) {
	f.Add([]byte(`{"attack":"serial/p=1/r=0","seq":0,"code":200,"timestamp":"2026-11-22T12:00:00Z","latency":8160000}` + "\n"))
	f.Add([]byte(`{"attack":"serial/p=1/r=0\"x","seq":0}` + "\n{}\n"))
	f.Add([]byte(`{"attack":"pooled/p=2/r=0","latency":-5}` + "\n"))
	f.Add([]byte("not json\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w := wanted{cdf: map[string]bool{"serial/p=1/r=0": true}, inflight: "pooled/p=2/r=0"}
		got, err := decodeRequests(context.Background(), bytes.NewReader(data), "fuzz", w)
		if err != nil {
			return
		}
		for label := range got.latency {
			if !w.cdf[label] {
				t.Errorf("unwanted cell %q kept", label)
			}
		}
		if len(got.spans.starts) != len(got.spans.ends) {
			t.Errorf("%d starts, %d ends", len(got.spans.starts), len(got.spans.ends))
		}
		if h := got.latencyOf("serial/p=1/r=0"); h != nil {
			h.cdfXYs(1)
		}
		if sp := got.inflightOf("pooled/p=2/r=0"); len(sp.starts) > 0 {
			inflightXYs(sp, 1)
		}
	})
}

// A requests.jsonl that is a folder is refused, as not a regular file.
func TestReadRequestsNotRegular(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := readRequests(context.Background(), path, wanted{})
	if err == nil || !strings.Contains(err.Error(), "not a regular file (a folder)") {
		t.Errorf("err = %v, want not a regular file (a folder)", err)
	}
}

// endless is a requests.jsonl that never ends: lines of cell "x" forever.
// It cancels its context once it has given after bytes.
type endless struct {
	cancel func()
	after  int
	read   int
}

func (e *endless) Read(p []byte) (int, error) {
	const line = `{"attack":"x","seq":0,"code":200,"timestamp":"2026-11-22T12:00:00Z","latency":1000000}` + "\n"
	n := 0
	for len(p)-n >= len(line) {
		n += copy(p[n:], line)
	}
	if e.read += n; e.read >= e.after {
		e.cancel()
	}
	return n, nil
}

// Decoding stops with the context's error once it is done, even in the
// middle of a file that never ends; Render returns that error, not one
// about requests.jsonl.
func TestDecodeRequestsCancelled(t *testing.T) {
	for _, w := range []wanted{{}, {cdf: map[string]bool{"x": true}, inflight: "x"}} {
		ctx, cancel := context.WithCancel(context.Background())
		src := &endless{cancel: cancel, after: 1 << 20}
		_, err := decodeRequests(ctx, src, "endless", w)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if src.read > 2<<20 {
			t.Errorf("read %d bytes after the cancel at 1 MiB", src.read)
		}
	}
	f := seedFixture()
	dir := f.writeDir(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := WriteAll(ctx, dir, f.results)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrRequests) {
		t.Errorf("WriteAll cancelled: err = %v, want context.Canceled alone", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); !errors.Is(err, os.ErrNotExist) {
		t.Error("index.html written despite the cancel")
	}
}

// writeResults writes results as vegeta JSON lines to a new file.
func writeResults(t testing.TB, rs []vegeta.Result) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	enc := vegeta.NewJSONEncoder(bw)
	for i := range rs {
		if err := enc.Encode(&rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// exactCDFXYs is the CDF the chart drew before the histogram, from every
// latency sorted: the reference the histogram's is checked against.
func exactCDFXYs(sorted []float64) plotter.XYs {
	n := len(sorted)
	if n == 0 {
		return nil
	}
	step := max(1, n/1000)
	var xys plotter.XYs
	for i := 0; i < n; i += step {
		xys = append(xys, plotter.XY{X: sorted[i], Y: float64(i+1) / float64(n)})
	}
	if last := xys[len(xys)-1]; last.Y < 1 {
		xys = append(xys, plotter.XY{X: sorted[n-1], Y: 1})
	}
	return xys
}

// The CDF read from a generated requests.jsonl through the histogram is
// the exact one at the same ranks, each latency within the histogram's
// precision: 0.1%, or a microsecond (at the time scale).
func TestCDFMatchesExact(t *testing.T) {
	const ts = 0.08
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 999, 1000, 12345} {
		var rs []vegeta.Result
		var exact []float64
		start := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		for i := range n {
			// Log-uniform from 20 µs to 20 s, some zero (left out).
			lat := time.Duration(math.Exp(rng.Float64()*math.Log(1e6)) * 20e3)
			if i%97 == 5 {
				lat = 0
			}
			rs = append(rs, vegeta.Result{Attack: "c", Seq: uint64(i), Code: 200, Timestamp: start.Add(time.Duration(i) * time.Millisecond), Latency: lat})
			rs = append(rs, vegeta.Result{Attack: "other", Seq: uint64(i), Code: 200, Timestamp: start, Latency: time.Second})
			if lat > 0 {
				exact = append(exact, lat.Seconds()/ts)
			}
		}
		slices.Sort(exact)
		d, err := readRequests(context.Background(), writeResults(t, rs), wanted{cdf: map[string]bool{"c": true}})
		if err != nil {
			t.Fatal(err)
		}
		got, want := d.latencyOf("c").cdfXYs(ts), exactCDFXYs(exact)
		if len(got) != len(want) || len(got) > 2000 {
			t.Fatalf("n=%d: %d points, want %d", n, len(got), len(want))
		}
		for i := range want {
			if got[i].Y != want[i].Y {
				t.Errorf("n=%d point %d: y %v, want %v", n, i, got[i].Y, want[i].Y)
			}
			if diff := math.Abs(got[i].X - want[i].X); diff > want[i].X*1e-3+1e-6/ts {
				t.Errorf("n=%d point %d: x %v, want %v within 0.1%%", n, i, got[i].X, want[i].X)
			}
		}
		if got[0].X != want[0].X || got[len(got)-1].X != want[len(want)-1].X {
			t.Errorf("n=%d: extremes %v, %v, want exact %v, %v", n, got[0].X, got[len(got)-1].X, want[0].X, want[len(want)-1].X)
		}
	}
}

// oldAttempt and oldInflightXYs are the in-flight curve as it was drawn
// from every attempt kept whole: the reference for the spans' curve.
type oldAttempt struct {
	start   time.Time
	latency time.Duration
}

func oldInflightXYs(att []oldAttempt, ts float64) plotter.XYs {
	type ev struct {
		t float64
		d int
	}
	t0 := att[0].start
	evs := make([]ev, 0, 2*len(att))
	for _, a := range att {
		s := a.start.Sub(t0).Seconds() / ts
		evs = append(evs, ev{s, 1}, ev{s + a.latency.Seconds()/ts, -1})
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if a.t != b.t {
			if a.t < b.t {
				return -1
			}
			return 1
		}
		return b.d - a.d
	})
	end := evs[len(evs)-1].t
	const buckets = 2000
	width := end / buckets
	var xys plotter.XYs
	n, peak, bucket := 0, 0, -1
	flush := func() {
		if bucket >= 0 {
			x := float64(bucket) * width
			xys = append(xys, plotter.XY{X: x, Y: float64(peak)}, plotter.XY{X: x + width, Y: float64(peak)})
		}
	}
	for _, e := range evs {
		b := buckets - 1
		if width > 0 {
			b = min(buckets-1, int(e.t/width))
		}
		if b != bucket {
			flush()
			bucket, peak = b, n
		}
		n += e.d
		peak = max(peak, n)
	}
	flush()
	return append(xys, plotter.XY{X: end, Y: 0})
}

// The in-flight curve from the spans read back is the one drawn before
// from whole attempts: on random nanoseconds, and on a grid of 1/512 s
// where starts and ends meet exactly (a start counts before an end).
func TestInflightUnchanged(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	const grid = time.Second / 512
	for _, tc := range []struct {
		name string
		n    int
		at   func() (time.Duration, time.Duration)
	}{
		{"random", 3000, func() (time.Duration, time.Duration) {
			return time.Duration(rng.Int64N(int64(10 * time.Second))), time.Duration(rng.Int64N(int64(time.Second)))
		}},
		{"grid", 500, func() (time.Duration, time.Duration) {
			return grid * time.Duration(rng.IntN(2000)), grid * time.Duration(rng.IntN(40))
		}},
		{"one", 1, func() (time.Duration, time.Duration) { return 0, time.Millisecond }},
		{"instant", 3, func() (time.Duration, time.Duration) { return 0, 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rs []vegeta.Result
			var old []oldAttempt
			for i := range tc.n {
				off, lat := tc.at()
				rs = append(rs, vegeta.Result{Attack: "c", Seq: uint64(i), Code: 200, Timestamp: start.Add(off), Latency: lat})
				old = append(old, oldAttempt{start.Add(off), lat})
			}
			slices.SortStableFunc(old, func(x, y oldAttempt) int { return x.start.Compare(y.start) })
			d, err := readRequests(context.Background(), writeResults(t, rs), wanted{inflight: "c", attempts: tc.n})
			if err != nil {
				t.Fatal(err)
			}
			for _, ts := range []float64{1, 0.08} {
				got, want := inflightXYs(d.inflightOf("c"), upstream.Scale(ts)), oldInflightXYs(old, ts)
				if len(got) != len(want) {
					t.Fatalf("ts %v: %d points, want %d", ts, len(got), len(want))
				}
				for i := range want {
					if got[i].Y != want[i].Y || math.Abs(got[i].X-want[i].X) > 1e-9*math.Abs(want[i].X) {
						t.Fatalf("ts %v point %d: %v, want %v", ts, i, got[i], want[i])
					}
				}
			}
		})
	}
}

// writeLargeRequests writes n attempts of the in-flight cell "big" and n
// of another cell, as vegeta's encoder writes them, and returns the path.
func writeLargeRequests(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	for i := range n {
		for _, cell := range []string{"big", "other"} {
			line = fmt.Appendf(line[:0], `{"attack":%q,"seq":%d,"code":200,"timestamp":"2026-11-22T12:%02d:%02d.%06dZ","latency":%d,"bytes_out":0,"bytes_in":64,"error":"","body":null,"method":"GET","url":"http://127.0.0.1:41000/item/%d","headers":null}`+"\n",
				cell, i, i/60e6%60, i/1e6%60, i%1e6, 1e6+i%5000*1e3, i)
			if _, err := bw.Write(line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// retained reads path and returns what it keeps alive: heap bytes after
// a collection, beyond those before.
func retained(t testing.TB, path string, w wanted) (*requestData, uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := readRequests(context.Background(), path, w)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	return d, after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
}

// Reading keeps 16 bytes per attempt of the in-flight cell and a
// histogram per CDF cell, whatever else the file holds.
func TestReadRequestsMemory(t *testing.T) {
	const n = 100_000
	path := writeLargeRequests(t, n)
	w := wanted{cdf: map[string]bool{"big": true, "other": true}, inflight: "big", attempts: n}
	d, kept := retained(t, path, w)
	if got := len(d.inflightOf("big").starts); got != n {
		t.Fatalf("%d spans, want %d", got, n)
	}
	bound := uint64(16*n + 2*d.latencyOf("big").h.ByteSize() + 256<<10)
	t.Logf("%d lines: %d bytes kept (%.1f per in-flight attempt), bound %d", 2*n, kept, float64(kept)/n, bound)
	if kept > bound {
		t.Errorf("kept %d bytes, more than %d", kept, bound)
	}
	runtime.KeepAlive(d)
}

// BenchmarkReadRequests reads a requests.jsonl of 1,000,000 lines, about
// 230 MB: 500,000 attempts of the in-flight (and CDF) cell and as many of
// another CDF cell. It reports allocations per read and the heap bytes
// kept per in-flight attempt.
func BenchmarkReadRequests(b *testing.B) {
	const n = 500_000
	path := writeLargeRequests(b, n)
	w := wanted{cdf: map[string]bool{"big": true, "other": true}, inflight: "big", attempts: n}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var kept uint64
	for b.Loop() {
		var d *requestData
		d, kept = retained(b, path, w)
		runtime.KeepAlive(d)
	}
	b.ReportMetric(float64(kept)/n, "kept-B/attempt")
}
