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
//	BenchmarkCiGate/strategy=pooled/pool=8 1 0.5123 sec/op 0.05312 p95-sec 0 retries
//
// sec/op is the cell's wall time in model seconds, p95-sec its item
// latency p95 in model seconds (both compared with the U test, as poolbench
// compare does), retries the attempts beyond each item's first (exact).
// Values are written in full (shortest exact form), so benchstat computes
// the very same p-values as poolbench compare.
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
	fmt.Fprintf(bw, "Unit p95-sec better=lower assume=nothing\n")
	fmt.Fprintf(bw, "Unit retries better=lower assume=exact\n")
	name := BenchmarkName(r.Scenario.Name)
	for _, c := range r.Cells {
		fmt.Fprintf(bw, "%s/strategy=%s/pool=%d 1 %s sec/op %s p95-sec %d retries\n", name,
			nameSafe(string(c.Strategy)), c.Pool, num(c.ModelWallSeconds), num(c.Latency.P95), c.Retries())
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
