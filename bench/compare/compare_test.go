package compare

import (
	"math"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

func mustCompare(t *testing.T, base, cur *results.Results, opts Options) *Report {
	t.Helper()
	rep, err := Results(base, cur, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// verdicts maps "cell metric" to the verdict.
func verdicts(rep *Report) map[string]Verdict {
	m := map[string]Verdict{}
	for _, r := range rep.Rows {
		m[r.Key.Cell()+" "+r.Metric.Name] = r.Verdict
	}
	return m
}

func TestResultsVerdicts(t *testing.T) {
	base := defaultSynth()
	tests := []struct {
		name   string
		cur    func(s *synth)
		failed bool
		want   map[string]Verdict // rows checked; others must not fail unless failed
	}{
		{
			name: "identical samples",
			cur:  func(s *synth) {},
			want: map[string]Verdict{"pooled/pool=4 wall": Unchanged, "serial/pool=1 p99": Unchanged, "pooled/pool=8 attempts": Unchanged, "pooled/pool=4 peak in flight": Unchanged},
		},
		{
			name: "same distribution, other jitter",
			cur:  func(s *synth) { s.phase = 3 },
			want: map[string]Verdict{"pooled/pool=4 wall": Unchanged, "serial/pool=1 wall": Unchanged, "pooled/pool=2 throughput": Unchanged},
		},
		{
			name:   "latency 10% higher",
			cur:    func(s *synth) { s.factor = 1.10; s.phase = 3 },
			failed: true,
			want:   map[string]Verdict{"serial/pool=1 wall": Regressed, "pooled/pool=4 wall": Regressed, "pooled/pool=4 throughput": Regressed, "pooled/pool=8 p50": Regressed, "pooled/pool=8 p99": Regressed, "pooled/pool=8 attempts": Unchanged},
		},
		{
			name: "2% slower: significant but within threshold",
			cur:  func(s *synth) { s.factor = 1.02 },
			want: map[string]Verdict{"pooled/pool=2 wall": Within, "pooled/pool=2 throughput": Within, "serial/pool=1 p50": Within},
		},
		{
			name: "10% faster",
			cur:  func(s *synth) { s.factor = 0.90; s.phase = 1 },
			want: map[string]Verdict{"pooled/pool=2 wall": Improved, "pooled/pool=2 throughput": Improved, "pooled/pool=2 p95": Improved},
		},
		{
			name:   "pool admits one request fewer than asked",
			cur:    func(s *synth) { s.cap = 3; s.phase = 2 },
			failed: true,
			want:   map[string]Verdict{"pooled/pool=4 peak in flight": Changed, "pooled/pool=8 peak in flight": Changed, "pooled/pool=4 wall": Regressed, "pooled/pool=2 wall": Unchanged, "pooled/pool=2 peak in flight": Unchanged},
		},
		{
			name:   "pool overshoots: peak in flight up is a change too",
			cur:    func(s *synth) { s.cap = 5 },
			failed: true,
			want:   map[string]Verdict{"pooled/pool=8 peak in flight": Changed, "pooled/pool=8 wall": Improved},
		},
		{
			name: "one failed item in one repeat",
			cur: func(s *synth) {
				s.edit = func(c *results.Cell) {
					if c.Pool == 4 && c.Repeat == 5 {
						c.Failed, c.Succeeded = 1, c.Items-1
					}
				}
			},
			failed: true,
			want:   map[string]Verdict{"pooled/pool=4 failed": Regressed, "pooled/pool=2 failed": Unchanged, "pooled/pool=4 wall": Unchanged},
		},
		{
			name: "one retry more",
			cur: func(s *synth) {
				s.edit = func(c *results.Cell) {
					if c.Pool == 2 && c.Repeat == 0 {
						c.Attempts++
					}
				}
			},
			failed: true,
			want:   map[string]Verdict{"pooled/pool=2 attempts": Regressed},
		},
		{
			name: "fewer attempts is an improvement",
			cur:  func(s *synth) { s.edit = func(c *results.Cell) { c.Attempts-- } },
			want: map[string]Verdict{"serial/pool=1 attempts": Improved},
		},
		{
			name: "two repeats against six: inconclusive, even for a large shift",
			cur:  func(s *synth) { s.repeats = 2; s.factor = 1.5 },
			want: map[string]Verdict{"pooled/pool=2 wall": Inconclusive, "serial/pool=1 p99": Inconclusive, "pooled/pool=2 attempts": Unchanged},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := defaultSynth()
			tt.cur(&cur)
			rep := mustCompare(t, base.build(), cur.build(), DefaultOptions)
			got := verdicts(rep)
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: verdict %q, want %q", k, got[k], v)
				}
			}
			if rep.Failed() != tt.failed {
				t.Errorf("Failed() = %v, want %v; failures %v", rep.Failed(), tt.failed, rep.Failures())
			}
			if len(rep.Rows) != 4*len(Metrics()) {
				t.Errorf("%d rows, want %d", len(rep.Rows), 4*len(Metrics()))
			}
		})
	}
}

func TestInconclusiveSaysHowMany(t *testing.T) {
	b, c := defaultSynth(), defaultSynth()
	b.repeats, c.repeats = 3, 3
	rep := mustCompare(t, b.build(), c.build(), DefaultOptions)
	for _, r := range rep.Rows {
		if r.Metric.Exact {
			continue
		}
		if r.Verdict != Inconclusive || !strings.Contains(r.Note, "need ≥ 4 repeats") || !strings.Contains(r.Note, "have 3+3") {
			t.Fatalf("%s %s: %q %q", r.Key, r.Metric.Name, r.Verdict, r.Note)
		}
	}
	var out strings.Builder
	if err := WriteText(&out, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "need ≥ 4 repeats on each side") {
		t.Errorf("text output does not say how many repeats are needed:\n%s", out.String())
	}
}

func TestMissingAndNewCells(t *testing.T) {
	b, c := defaultSynth(), defaultSynth()
	c.pools = []int{2, 4, 16}
	rep := mustCompare(t, b.build(), c.build(), DefaultOptions)
	want := []Key{{"ci-gate", scenario.Pooled, 8}}
	if !slices.Equal(rep.MissingCells, want) {
		t.Errorf("missing %v, want %v", rep.MissingCells, want)
	}
	if want := []Key{{"ci-gate", scenario.Pooled, 16}}; !slices.Equal(rep.NewCells, want) {
		t.Errorf("new %v, want %v", rep.NewCells, want)
	}
	if !rep.Failed() {
		t.Error("a missing cell must fail the gate")
	}
	if len(rep.Failures()) != 0 {
		t.Errorf("matched cells should not fail: %v", rep.Failures())
	}
	// Only new cells: the gate passes but says so.
	c.pools = []int{2, 4, 8, 16}
	rep = mustCompare(t, b.build(), c.build(), DefaultOptions)
	if rep.Failed() || len(rep.NewCells) != 1 {
		t.Errorf("only a new cell: failed=%v new=%v", rep.Failed(), rep.NewCells)
	}
	// Another scenario: nothing matches, everything is listed.
	c = defaultSynth()
	c.scenario = "other"
	rep = mustCompare(t, b.build(), c.build(), DefaultOptions)
	if len(rep.MissingCells) != 4 || len(rep.NewCells) != 4 || len(rep.Rows) != 0 || !rep.Failed() {
		t.Errorf("other scenario: missing %v new %v rows %d", rep.MissingCells, rep.NewCells, len(rep.Rows))
	}
	if len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "scenarios differ") {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

func TestWarnings(t *testing.T) {
	b, c := defaultSynth().build(), defaultSynth().build()
	c.Complete = false
	c.Scenario.Items = 41
	c.Machine.CPUs = 8
	rep := mustCompare(t, b, c, DefaultOptions)
	all := strings.Join(rep.Warnings, "\n")
	for _, w := range []string{"differs between the runs in: items", "new run is incomplete", "machines differ"} {
		if !strings.Contains(all, w) {
			t.Errorf("warnings lack %q:\n%s", w, all)
		}
	}
}

func TestMinRepeats(t *testing.T) {
	for _, tt := range []struct {
		alpha float64
		want  int
	}{{0.05, 4}, {0.01, 5}, {0.1, 3}, {0.34, 2}, {0.001, 7}} {
		if got := MinRepeats(tt.alpha); got != tt.want {
			t.Errorf("MinRepeats(%v) = %d, want %d", tt.alpha, got, tt.want)
		}
	}
}

// TestMinPMatchesBenchmath checks the closed form against the U test
// itself: fully separated samples give the smallest p-value there is.
func TestMinPMatchesBenchmath(t *testing.T) {
	th := benchmath.DefaultThresholds
	for n1 := 2; n1 <= 7; n1++ {
		for n2 := 2; n2 <= 7; n2++ {
			a, b := make([]float64, n1), make([]float64, n2)
			for i := range a {
				a[i] = float64(i)
			}
			for i := range b {
				b[i] = float64(100 + i)
			}
			got := benchmath.AssumeNothing.Compare(benchmath.NewSample(a, &th), benchmath.NewSample(b, &th)).P
			if want := minP(n1, n2); math.Abs(got-want) > 1e-9*want {
				t.Errorf("n=%d+%d: U test p=%g, minP=%g", n1, n2, got, want)
			}
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{Threshold: -0.1, Alpha: 0.05}, {Threshold: 0.05, Alpha: 0}, {Threshold: 0.05, Alpha: 1}, {Threshold: math.NaN(), Alpha: 0.05}} {
		if _, err := Results(defaultSynth().build(), defaultSynth().build(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestExternalTargetHasNoPeakRow(t *testing.T) {
	s := defaultSynth()
	s.edit = func(c *results.Cell) { c.Upstream = nil }
	rep := mustCompare(t, s.build(), s.build(), DefaultOptions)
	for _, r := range rep.Rows {
		if r.Metric.Name == "peak in flight" {
			t.Fatalf("peak in flight row for an external target: %+v", r)
		}
	}
}
