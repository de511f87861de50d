package compare

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"

	"github.com/poolbench/poolbench/bench/results"
)

func TestBenchmarkName(t *testing.T) {
	for in, want := range map[string]string{
		"ci-gate": "BenchmarkCiGate", "seed-816s": "BenchmarkSeed816s", "cap_sweep": "BenchmarkCapSweep", "": "BenchmarkScenario", "--": "BenchmarkScenario",
	} {
		if got := BenchmarkName(in); got != want {
			t.Errorf("BenchmarkName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteBenchFormatGolden(t *testing.T) {
	s := defaultSynth()
	s.repeats = 2
	var b bytes.Buffer
	if err := WriteBenchFormat(&b, s.build()); err != nil {
		t.Fatal(err)
	}
	golden(t, "results.bench.txt", b.Bytes())
}

// readBench parses a results.bench.txt as benchstat does: values by
// benchmark name and unit, and the unit metadata.
func readBench(t *testing.T, data []byte) (map[string]map[string][]float64, benchfmt.UnitMetadataMap) {
	t.Helper()
	r := benchfmt.NewReader(bytes.NewReader(data), "results.bench.txt")
	vals := map[string]map[string][]float64{}
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt: %v", rec)
		case *benchfmt.Result:
			name := string(rec.Name.Full())
			if vals[name] == nil {
				vals[name] = map[string][]float64{}
			}
			for _, v := range rec.Values {
				vals[name][v.Unit] = append(vals[name][v.Unit], v.Value)
			}
			if got := rec.GetConfig("scenario"); got != "ci-gate" {
				t.Errorf("config scenario = %q", got)
			}
		}
	}
	if err := r.Err(); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return vals, r.Units()
}

func TestWriteBenchFormatReadsBack(t *testing.T) {
	s := defaultSynth()
	s.edit = func(c *results.Cell) { c.Attempts += c.Pool % 3 }
	res := s.build()
	var b bytes.Buffer
	if err := WriteBenchFormat(&b, res); err != nil {
		t.Fatal(err)
	}
	vals, units := readBench(t, b.Bytes())
	if len(vals) != 4 {
		t.Fatalf("%d benchmarks, want 4: %v", len(vals), vals)
	}
	got := vals["CiGate/strategy=pooled/pool=8"]
	if len(got["sec/op"]) != 6 || len(got["p95-sec"]) != 6 || len(got["retries"]) != 6 {
		t.Fatalf("pooled/pool=8: %v", got)
	}
	var wantWall []float64
	for _, c := range res.Cells {
		if c.Pool == 8 {
			wantWall = append(wantWall, c.ModelWallSeconds)
		}
	}
	for i, v := range got["sec/op"] {
		if math.Abs(v-wantWall[i]) > 1e-5*wantWall[i] {
			t.Errorf("repeat %d: sec/op %v, want %v", i, v, wantWall[i])
		}
	}
	if got["retries"][0] != 2 { // 8 % 3
		t.Errorf("retries %v, want 2", got["retries"])
	}
	for unit, better := range map[string]int{"sec/op": -1, "p95-sec": -1, "retries": -1} {
		if units.GetBetter(unit) != better {
			t.Errorf("%s: better=%d", unit, units.GetBetter(unit))
		}
	}
	if units.GetAssumption("retries") != benchmath.AssumeExact || units.GetAssumption("sec/op") != benchmath.AssumeNothing {
		t.Error("wrong assumptions in the Unit lines")
	}
}

// TestBenchFormatAgreesWithCompare reads both runs back from the Go
// benchmark format and decides each wall-time change as benchstat does
// (U test, sign of the median change, Unit better=); it must agree with
// the direction poolbench compare reports.
func TestBenchFormatAgreesWithCompare(t *testing.T) {
	for _, factor := range []float64{0.9, 1, 1.1} {
		base, cur := defaultSynth(), defaultSynth()
		cur.factor, cur.phase = factor, 1
		rb, rc := base.build(), cur.build()
		rep := mustCompare(t, rb, rc, DefaultOptions)
		var bb, bc bytes.Buffer
		if err := errors.Join(WriteBenchFormat(&bb, rb), WriteBenchFormat(&bc, rc)); err != nil {
			t.Fatal(err)
		}
		vb, units := readBench(t, bb.Bytes())
		vc, _ := readBench(t, bc.Bytes())
		th := benchmath.DefaultThresholds
		for _, row := range rep.Rows {
			if row.Metric.Name != "wall" {
				continue
			}
			name := strings.TrimPrefix(BenchmarkName(rep.Scenario), "Benchmark") + "/strategy=" + string(row.Key.Strategy) + "/pool=" + strconv.Itoa(row.Key.Pool)
			sb := benchmath.NewSample(vb[name]["sec/op"], &th)
			sc := benchmath.NewSample(vc[name]["sec/op"], &th)
			a := units.GetAssumption("sec/op")
			cmp := a.Compare(sb, sc)
			ob, oc := a.Summary(sb, 0.95).Center, a.Summary(sc, 0.95).Center
			delta := cmp.FormatDelta(ob, oc)
			var benchstat string
			switch {
			case delta == "~":
				benchstat = "~"
			case (oc > ob) == (units.GetBetter("sec/op") < 0):
				benchstat = "worse"
			default:
				benchstat = "better"
			}
			var ours string
			switch row.Verdict {
			case Regressed:
				ours = "worse"
			case Improved:
				ours = "better"
			case Unchanged:
				ours = "~"
			default:
				t.Fatalf("unexpected verdict %q", row.Verdict)
			}
			if ours != benchstat {
				t.Errorf("factor %v %s: compare says %s, benchstat's rule says %s (%s)", factor, name, ours, benchstat, delta)
			}
		}
	}
}

// TestBenchstatBinary runs the real benchstat, when it is installed
// (go install golang.org/x/perf/cmd/benchstat@latest), on two synthetic
// runs 10% apart: it must read the files without complaint and report the
// same direction of change as poolbench compare.
func TestBenchstatBinary(t *testing.T) {
	bin, err := exec.LookPath("benchstat")
	if err != nil {
		t.Skip("benchstat not installed")
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		factor float64
		want   string // benchstat's sign of the wall-time change
		ours   Verdict
	}{{1.10, "+10.", Regressed}, {0.90, "-10.", Improved}} {
		base, cur := defaultSynth(), defaultSynth()
		cur.factor, cur.phase = tt.factor, 1
		rb, rc := base.build(), cur.build()
		var bb, bc bytes.Buffer
		if err := errors.Join(WriteBenchFormat(&bb, rb), WriteBenchFormat(&bc, rc)); err != nil {
			t.Fatal(err)
		}
		pb, pc := filepath.Join(dir, "base.bench.txt"), filepath.Join(dir, "new.bench.txt")
		if err := errors.Join(os.WriteFile(pb, bb.Bytes(), 0o644), os.WriteFile(pc, bc.Bytes(), 0o644)); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-filter", ".unit:sec/op", pb, pc).CombinedOutput()
		if err != nil {
			t.Fatalf("benchstat: %v\n%s", err, out)
		}
		rep := mustCompare(t, rb, rc, DefaultOptions)
		for _, row := range rep.Rows {
			if row.Metric.Name != "wall" {
				continue
			}
			if row.Verdict != tt.ours {
				t.Errorf("factor %v: compare says %s for %s", tt.factor, row.Verdict, row.Key)
			}
			line := regexp.MustCompile(`(?m)^CiGate/strategy=` + string(row.Key.Strategy) + `/pool=` + strconv.Itoa(row.Key.Pool) + ` .*$`).Find(out)
			if !bytes.Contains(line, []byte(tt.want)) {
				t.Errorf("factor %v: benchstat line %q lacks %q\n%s", tt.factor, line, tt.want, out)
			}
		}
	}
}
