package fit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// gonum's optimize runs its method on a goroutine of its own per call;
// every one must be gone.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Each family, sampled from the mock's own latency (upstream.ParseLatency),
// is the one the fit chooses, with its parameters within a few percent.
func TestFitServiceRecoversFamily(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		family Family
		a, b   float64
	}{
		{"normal(mean=100ms,stddev=10ms)", Normal, 0.1, 0.01},
		{"lognormal(median=80ms,sigma=0.5)", LogNormal, 0.08, 0.5},
		{"exponential(mean=50ms)", Exponential, 0.05, 0},
		{"uniform(10ms,30ms)", Uniform, 0.01, 0.03},
		{"pareto(min=20ms,alpha=2.5)", Pareto, 0.02, 2.5},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			l, err := upstream.ParseLatency(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(7, 7))
			xs := make([]float64, 4000)
			for i := range xs {
				xs[i] = l.Sample(r).Seconds()
			}
			got := fitService(xs)[0]
			if got.Family != tc.family {
				t.Fatalf("chose %s (KS %.3f), want %s; candidates %v", got.Family, got.KS, tc.family, fitService(xs))
			}
			for _, p := range [][2]float64{{got.A, tc.a}, {got.B, tc.b}} {
				if math.Abs(p[0]-p[1]) > 0.05*math.Abs(p[1])+1e-9 {
					t.Errorf("%s: parameter %g, want %g ± 5%%", got.Spec(), p[0], p[1])
				}
			}
			if _, err := upstream.ParseLatency(got.Spec()); err != nil {
				t.Errorf("spec %q does not parse: %v", got.Spec(), err)
			}
		})
	}
}

// synthetic builds a run of fixed-latency answers against a service of
// capacity (0: none) and contention, for the concurrencies given, as the
// closed-loop formulas say they come back: every attempt after k / m
// stretched service times, m = min(k, capacity).
func synthetic(service float64, capacity int, contention float64, concs ...int) (*results.Results, map[string]*attempts) {
	res := &results.Results{Schema: results.SchemaVersion, Scenario: scenario.Scenario{Name: "synthetic", Items: 64,
		Target: &scenario.Target{URL: "http://127.0.0.1:1/"}, Sweep: scenario.Sweep{Strategies: []scenario.Strategy{scenario.Pooled}}}}
	recs := map[string]*attempts{}
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range concs {
		m := k
		if capacity > 0 {
			m = min(k, capacity)
		}
		c := results.Cell{Strategy: scenario.Pooled, Pool: k, Items: 64, Succeeded: 64, Attempts: 64, Timescale: 1}
		a := &attempts{}
		each := float64(k) / float64(m) * service * (1 + contention*float64(m-1))
		for i := range 64 {
			lat := each * (1 + 0.002*r.Float64()) // jitter, as timers add
			a.start = append(a.start, float64(i/k)*each)
			a.latency = append(a.latency, lat)
			a.code = append(a.code, 200)
		}
		c.SetWall(float64(64/k)*each, 1)
		res.Cells = append(res.Cells, c)
		recs[c.Label()] = a
		res.Scenario.Sweep.PoolSizes = append(res.Scenario.Sweep.PoolSizes, k)
	}
	return res, recs
}

// The cap and contention come back from synthetic cells; no cap is made
// up where none shows, nor at the largest concurrency measured.
func TestInferCapAndContention(t *testing.T) {
	for _, tc := range []struct {
		capacity   int
		contention float64
		concs      []int
	}{
		{2, 0.0392, []int{1, 2, 4, 8}},
		{3, 0, []int{1, 2, 4, 8}},
		{4, 0.05, []int{1, 2, 4, 8, 16}},
		{5, 0.02, []int{1, 2, 4, 8, 16}},
		{0, 0.1, []int{1, 2, 4, 8}},
		{0, 0, []int{1, 2, 4}},
		{8, 0, []int{1, 2, 4, 8}}, // at the largest measured: indistinguishable from none
	} {
		t.Run(fmt.Sprintf("cap%d-c%g", tc.capacity, tc.contention), func(t *testing.T) {
			res, recs := synthetic(0.05, tc.capacity, tc.contention, tc.concs...)
			f, err := infer(context.Background(), res, recs, Options{Replicates: 40})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.capacity
			if want >= tc.concs[len(tc.concs)-1] {
				want = 0
			}
			if f.Point.Cap != want {
				t.Errorf("cap %d, want %d", f.Point.Cap, want)
			}
			if math.Abs(f.Point.Contention-tc.contention) > 0.005 {
				t.Errorf("contention %.4f, want %.4f", f.Point.Contention, tc.contention)
			}
			if want > 0 && f.Point.Overflow != upstream.OverflowQueue {
				t.Errorf("overflow %q, want queue", f.Point.Overflow)
			}
			lo, hi := f.Interval(func(e Estimate) float64 { return e.Contention })
			if !(lo <= f.Point.Contention+1e-9 && f.Point.Contention <= hi+1e-9) {
				t.Errorf("contention %.4f outside its interval [%.4f, %.4f]", f.Point.Contention, lo, hi)
			}
		})
	}
}

// A run with a cell the harness flagged is refused, and the error names
// the cell and its reason.
func TestInferRefusesFlagged(t *testing.T) {
	res, recs := synthetic(0.05, 2, 0, 1, 2, 4)
	res.Cells[2].Harness = &results.Harness{Bound: true, Reason: "too fast"}
	_, err := infer(context.Background(), res, recs, Options{})
	if !errors.Is(err, ErrFlagged) || !strings.Contains(err.Error(), "pooled/p=4/r=0 (too fast)") {
		t.Fatalf("err = %v, want ErrFlagged naming pooled/p=4/r=0", err)
	}
}

// A fitted scenario loads back and carries the fit; the predicted ranges
// hold their point.
func TestScenarioAndRanges(t *testing.T) {
	res, recs := synthetic(0.05, 2, 0.04, 1, 2, 4, 8)
	f, err := infer(context.Background(), res, recs, Options{Replicates: 40})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.YAML()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse("fitted.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Upstream.Cap != 2 || sc.Target != nil || !sc.Timescale.Auto {
		t.Errorf("fitted scenario %+v, upstream %+v", sc, sc.Upstream)
	}
	rs, err := f.Predict(context.Background(), 1000, []scenario.Strategy{scenario.Pooled}, []int{16, 64})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		// 500 rounds of 52 ms: 26 s, whatever the pool past the cap.
		if !(r.Low <= r.Predicted && r.Predicted <= r.High) || math.Abs(r.Predicted-26) > 0.5 {
			t.Errorf("pool %d: predicted %.4g in [%.4g, %.4g], want about 26 s", r.Pool, r.Predicted, r.Low, r.High)
		}
	}
	var out bytes.Buffer
	checks, err := f.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(&out, checks); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`cap\s+2  \[2, 2\]`, `past the cap\s+queue`, `pooled/p=8/r=0 .* yes`} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("the printout lacks %q:\n%s", want, out.String())
		}
	}
}

// Records are read by cell, with their start offsets.
func TestDecodeRecords(t *testing.T) {
	in := `{"attack":"serial/p=1/r=0","seq":0,"code":200,"timestamp":"2026-12-05T09:00:00Z","latency":50000000,"bytes_out":0,"bytes_in":2,"error":"","body":null}
{"attack":"serial/p=1/r=0","seq":1,"code":503,"timestamp":"2026-12-05T09:00:00.05Z","latency":100000,"bytes_out":0,"bytes_in":0,"error":"503 Service Unavailable","body":null}
`
	recs, err := decodeRecords(context.Background(), strings.NewReader(in), "requests.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	a := recs["serial/p=1/r=0"]
	if a == nil || len(a.latency) != 2 || a.code[1] != 503 || math.Abs(a.start[1]-0.05) > 1e-9 || a.latency[0] != 0.05 {
		t.Fatalf("records %+v", a)
	}
	if _, err := decodeRecords(context.Background(), strings.NewReader("{not json\n"), "requests.jsonl"); err == nil {
		t.Fatal("malformed records: no error")
	}
}

// decodeRecords never panics, and what it keeps is consistent.
func FuzzDecodeRecords(f *testing.F) {
	f.Add([]byte(`{"attack":"a","code":200,"timestamp":"2026-12-05T09:00:00Z","latency":5}` + "\n"))
	f.Add([]byte("{}\n{}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodeRecords(context.Background(), bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		for _, a := range recs {
			if len(a.latency) != len(a.code) || len(a.start) != len(a.code) {
				t.Fatalf("inconsistent records %+v", a)
			}
		}
	})
}

// A service that answers some of its requests with a 503 after the service
// time, at every concurrency, (3 in 64)
// has no cap and rejects nothing at once: the
// fit reads an error rate, not an overflow, and the round trip is not
// read from those answers.
func TestInferErrorsAre503s(t *testing.T) {
	res, recs := synthetic(0.05, 0, 0, 1, 2, 4, 8)
	for _, a := range recs {
		for i := range a.code {
			if i%20 == 7 {
				a.code[i] = 503
			}
		}
	}
	f, err := infer(context.Background(), res, recs, Options{Replicates: 40})
	if err != nil {
		t.Fatal(err)
	}
	e := f.Point
	if e.Cap != 0 || e.Overflow != "" || e.ErrorStatus != 503 || math.Abs(e.ErrorRate-3.0/64) > 1e-9 {
		t.Errorf("cap %d, overflow %q, error %d at %.4f; want no cap, no overflow, 503 at 3/64", e.Cap, e.Overflow, e.ErrorStatus, e.ErrorRate)
	}
	if e.RoundTrip != 0 || strings.Contains(e.RoundTripFrom, "rejection") {
		t.Errorf("round trip %.4f s from %s: the 503s took the service time", e.RoundTrip, e.RoundTripFrom)
	}
	if lo, hi := f.Interval(func(e Estimate) float64 { return e.ErrorRate }); !(lo < e.ErrorRate && e.ErrorRate < hi) {
		t.Errorf("error rate interval [%.4f, %.4f] around %.4f: the bootstrap must redraw the outcomes", lo, hi, e.ErrorRate)
	}
}

// The harness's idle round trips are taken off by their median (the
// loopback back to back, the rest the harness's wake-up), and the
// bootstrap draws them again: the round trip's interval is not a point.
func TestInferTakesOffTheIdleRoundTrip(t *testing.T) {
	res, recs := synthetic(0.05, 2, 0, 1, 2, 4, 8)
	idle := make([]float64, 16)
	for i := range idle {
		idle[i] = 0.0001 + 0.00001*float64(i) // 100 to 250 µs; the empirical median, the 8th: 170 µs
	}
	res.Calibration = &results.Calibration{BusyRoundTrip: 0.00003, IdleRoundTrips: idle}
	f, err := infer(context.Background(), res, recs, Options{Replicates: 100})
	if err != nil {
		t.Fatal(err)
	}
	e := f.Point
	if math.Abs(e.RoundTrip-0.00003) > 1e-12 || math.Abs(e.Added()-0.00017) > 1e-12 {
		t.Errorf("round trip %g s, added %g s; want 30 µs of loopback and 170 µs in all", e.RoundTrip, e.Added())
	}
	if lo, hi := f.Interval(Estimate.Added); !(lo < e.Added() && e.Added() < hi) || lo < 0.0001 || hi > 0.00025 {
		t.Errorf("round trip interval [%g, %g] around %g: want it within the samples, and wider than a point", lo, hi, e.Added())
	}
	// the service's median is what is left: 50 ms and the synthetic jitter
	if d := e.Median - (0.05 - 0.00017); d < 0 || d > 0.0002 {
		t.Errorf("median %g s, want 50 ms less 170 µs, plus up to 0.2%% jitter", e.Median)
	}
}
