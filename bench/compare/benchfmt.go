package compare

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/poolbench/poolbench/bench/results"
)

// WriteBenchFormat writes r in the Go benchmark format (results.bench.txt)
// so that benchstat reads poolbench output unchanged:
//
//	benchstat base/results.bench.txt new/results.bench.txt
//
// It writes configuration lines (goos, goarch, cpus, scenario, timescale;
// not the git revision, which would make benchstat split base and new into
// separate tables),
// Unit metadata lines that tell benchstat which direction is better and
// which assumption to make, and one line per cell repeat:
//
//	BenchmarkCiGate/strategy=pooled/pool=8 1 0.5123 sec/op 31.2 ok-items/s 0.05312 p95-sec 0 failed-items 0 retries
//
// (a cell that records no pool, unbounded or adaptive, is named by its
// group alone: BenchmarkAdaptiveReject/strategy=adaptive).
//
// sec/op is the cell's wall time in model seconds, ok-items/s its goodput
// (succeeded items per model second), p95-sec its item latency p95 in
// model seconds (compared with the U test, as poolbench compare does);
// failed-items and retries (attempts beyond each item's first) are exact.
// Values are written in full (shortest exact form), so benchstat computes
// the very same p-values as poolbench compare. A cell the harness flagged
// as bound is left out, with a comment line saying so: benchstat would
// compare it as if it measured the upstream.
func WriteBenchFormat(w io.Writer, r *results.Results) error {
	bw := bufio.NewWriter(w)
	m := r.Machine
	if m.GOOS != "" {
		fmt.Fprintf(bw, "goos: %s\n", m.GOOS)
	}
	if m.GOARCH != "" {
		fmt.Fprintf(bw, "goarch: %s\n", m.GOARCH)
	}
	if m.CPUs > 0 {
		fmt.Fprintf(bw, "cpus: %d\n", m.CPUs)
	}
	fmt.Fprintf(bw, "scenario: %s\n", oneLine(r.Scenario.Name))
	ts, _ := r.Scenario.Timescale.MarshalText()
	fmt.Fprintf(bw, "timescale: %s\n", ts)
	fmt.Fprintf(bw, "Unit sec/op better=lower assume=nothing\n")
	fmt.Fprintf(bw, "Unit ok-items/s better=higher assume=nothing\n")
	fmt.Fprintf(bw, "Unit p95-sec better=lower assume=nothing\n")
	fmt.Fprintf(bw, "Unit failed-items better=lower assume=exact\n")
	fmt.Fprintf(bw, "Unit retries better=lower assume=exact\n")
	name := BenchmarkName(r.Scenario.Name)
	// Each cell is named by its group's Key (Key.Bench).
	key := map[string]Key{}
	for _, g := range results.Groups(r.Cells) {
		for _, c := range g.Cells {
			key[c.Label()] = keyOf(&g)
		}
	}
	for _, c := range r.Cells {
		if c.Bound() {
			fmt.Fprintf(bw, "# %s left out: harness-bound (%s)\n", c.Label(), oneLine(c.Harness.Reason))
			continue
		}
		fmt.Fprintf(bw, "%s/%s 1 %s sec/op %s ok-items/s %s p95-sec %d failed-items %d retries\n", name, key[c.Label()].Bench(),
			num(c.ModelWallSeconds), num(c.Goodput), num(c.Latency.P95), c.Failed, c.Retries())
	}
	return bw.Flush()
}

// BenchmarkName turns a scenario name into a benchmark name:
// "ci-gate" → "BenchmarkCiGate".
func BenchmarkName(scenario string) string {
	var b strings.Builder
	b.WriteString("Benchmark")
	up := true
	for _, r := range scenario {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	if b.Len() == len("Benchmark") {
		b.WriteString("Scenario")
	}
	return b.String()
}

// nameSafe keeps a name part free of the characters the format splits on.
func nameSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '/' {
			return '_'
		}
		return r
	}, s)
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
