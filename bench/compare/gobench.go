package compare

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"
)

// GoBench is one Go benchmark of a BenchReport: its allocations per
// operation (held), and its time and bytes per operation (printed).
type GoBench struct {
	// Name is the package (poolbench's own without the module path) and
	// the benchmark's name without "Benchmark" and its GOMAXPROCS suffix:
	// "bench/model Simulate/nocap".
	Name string `json:"name"`
	// OldAllocs is the most allocations per operation of any run of the
	// benchmark in the base file, NewAllocs the fewest of any run in the
	// new one (-1: absent).
	OldAllocs float64 `json:"old_allocs"`
	NewAllocs float64 `json:"new_allocs"`
	// OldSec, NewSec, OldBytes and NewBytes are medians (-1: not
	// reported): printed, not gated.
	OldSec   float64 `json:"old_sec"`
	NewSec   float64 `json:"new_sec"`
	OldBytes float64 `json:"old_bytes"`
	NewBytes float64 `json:"new_bytes"`
	// Verdict is Regressed (more allocations), Improved (fewer),
	// Unchanged, Missing (in the base, not in the new file) or New.
	Verdict Verdict `json:"verdict"`
}

// BenchReport compares two Go benchmark files (go test -bench -benchmem
// output).
type BenchReport struct {
	Benchmarks []GoBench `json:"benchmarks"`
}

// Failed reports whether a benchmark allocates more per operation than its
// base, or went missing.
func (r *BenchReport) Failed() bool {
	return slices.ContainsFunc(r.Benchmarks, func(b GoBench) bool { return b.Verdict.Fails() })
}

// Allocs compares two Go benchmark files, base and cur (the output of go
// test -bench -benchmem, read with golang.org/x/perf/benchfmt), by the
// figure that does not depend on the machine's load: allocations per
// operation. A benchmark regresses when every run of it in cur allocates
// more per operation than every run of it in base did (cur's best run
// against base's worst): the testing package truncates allocs/op to a
// whole number, and a benchmark whose goroutines block may allocate one
// more in a run now and then (the README's allocations gate), while an
// allocation added to the code shows in every run. A benchmark of base
// missing from cur fails as well; one only in cur is new. Time and bytes
// per operation are carried along to print, not judged. Benchmarks are
// matched by package and name, without the GOMAXPROCS suffix. An error
// names the file and line of a malformed line, or says that a file holds
// no benchmark with allocs/op.
func Allocs(base, cur io.Reader, baseName, curName string) (*BenchReport, error) {
	old, err := readGoBench(base, baseName)
	if err != nil {
		return nil, err
	}
	nw, err := readGoBench(cur, curName)
	if err != nil {
		return nil, err
	}
	var names []string
	for k := range old {
		names = append(names, k)
	}
	for k := range nw {
		if _, ok := old[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	rep := &BenchReport{}
	for _, n := range names {
		o, inOld := old[n]
		c, inNew := nw[n]
		b := GoBench{Name: n, OldAllocs: -1, NewAllocs: -1, OldSec: -1, NewSec: -1, OldBytes: -1, NewBytes: -1}
		if inOld {
			b.OldAllocs, b.OldSec, b.OldBytes = o.mostAllocs(), o.median("sec/op"), o.median("B/op")
		}
		if inNew {
			b.NewAllocs, b.NewSec, b.NewBytes = c.fewestAllocs(), c.median("sec/op"), c.median("B/op")
		}
		switch {
		case !inNew:
			b.Verdict = Missing
		case !inOld:
			b.Verdict = New
		case b.NewAllocs > b.OldAllocs:
			b.Verdict = Regressed
		case b.NewAllocs < b.OldAllocs:
			b.Verdict = Improved
		default:
			b.Verdict = Unchanged
		}
		rep.Benchmarks = append(rep.Benchmarks, b)
	}
	return rep, nil
}

// goBenchRuns are the runs of one benchmark in one file.
type goBenchRuns struct {
	values map[string][]float64 // by unit; every run has allocs/op
}

// mostAllocs and fewestAllocs are the most and the fewest allocations per
// operation of any run.
func (g *goBenchRuns) mostAllocs() float64   { return slices.Max(g.values["allocs/op"]) }
func (g *goBenchRuns) fewestAllocs() float64 { return slices.Min(g.values["allocs/op"]) }

func (g *goBenchRuns) median(unit string) float64 {
	v := g.values[unit]
	if len(v) == 0 {
		return -1
	}
	return slices.Sorted(slices.Values(v))[len(v)/2]
}

func readGoBench(r io.Reader, name string) (map[string]*goBenchRuns, error) {
	out := map[string]*goBenchRuns{}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, fmt.Errorf("%w (want go test -bench -benchmem output)", rec)
		case *benchfmt.Result:
			if _, ok := rec.Value("allocs/op"); !ok {
				continue
			}
			key := strings.TrimPrefix(rec.GetConfig("pkg"), modulePath) + " " + stripProcs(rec.Name.String())
			g := out[key]
			if g == nil {
				g = &goBenchRuns{values: map[string][]float64{}}
				out[key] = g
			}
			for _, v := range rec.Values {
				g.values[v.Unit] = append(g.values[v.Unit], v.Value)
			}
		}
	}
	if err := br.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no benchmark with allocs/op (run go test -bench with -benchmem)", name)
	}
	return out, nil
}

// modulePath is left out of the package in a benchmark's name.
const modulePath = "github.com/poolbench/poolbench/"

// stripProcs drops a benchmark name's GOMAXPROCS suffix ("-2").
func stripProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 || strings.Trim(name[i+1:], "0123456789") != "" {
		return name
	}
	return name[:i]
}

// WriteAllocs writes the report as a table: a headline first, then one row
// per benchmark with its allocations per operation (base → new, and the
// verdict) and its time and bytes per operation (printed, not judged).
func WriteAllocs(w io.Writer, r *BenchReport) error {
	worse := 0
	for _, b := range r.Benchmarks {
		if b.Verdict.Fails() {
			worse++
		}
	}
	head := fmt.Sprintf("allocs: pass: no benchmark allocates more per operation than its baseline (%d compared)", len(r.Benchmarks))
	if worse > 0 {
		head = fmt.Sprintf("allocs: FAIL: %d of %d benchmarks allocate more per operation than the baseline, or went missing", worse, len(r.Benchmarks))
	}
	if _, err := fmt.Fprintf(w, "%s\n(allocs/op are held; time and B/op depend on the machine and are printed, not gated)\n\n", head); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tallocs/op\tverdict\ttime/op\tB/op\t")
	for _, b := range r.Benchmarks {
		fmt.Fprintf(tw, "%s\t%s → %s\t%s\t%s → %s\t%s → %s\t\n", b.Name,
			figure(b.OldAllocs, ""), figure(b.NewAllocs, ""), b.Verdict,
			figure(b.OldSec*1e6, " µs"), figure(b.NewSec*1e6, " µs"),
			figure(b.OldBytes, ""), figure(b.NewBytes, ""))
	}
	return tw.Flush()
}

func figure(v float64, unit string) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.4g%s", v, unit)
}
