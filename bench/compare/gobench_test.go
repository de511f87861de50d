package compare

import (
	"strings"
	"testing"
)

// TestAllocs: the worst run of each side is compared; GOMAXPROCS suffixes
// and the module path do not split a benchmark; missing and new ones are
// named.
func TestAllocs(t *testing.T) {
	base := `pkg: github.com/poolbench/poolbench/mocksrv
BenchmarkA-2 	100	 10 ns/op	 8 B/op	 3 allocs/op
BenchmarkA-2 	100	 30 ns/op	 8 B/op	 4 allocs/op
BenchmarkB-2 	100	 10 ns/op	 8 B/op	 1 allocs/op
BenchmarkGone-2 	100	 10 ns/op	 8 B/op	 1 allocs/op
`
	cur := `pkg: github.com/poolbench/poolbench/mocksrv
BenchmarkA-8 	100	 20 ns/op	 8 B/op	 4 allocs/op
BenchmarkA-8 	100	 20 ns/op	 8 B/op	 5 allocs/op
BenchmarkB-8 	100	 10 ns/op	 8 B/op	 2 allocs/op
BenchmarkB-8 	100	 10 ns/op	 8 B/op	 2 allocs/op
BenchmarkNew 	100	 10 ns/op	 8 B/op	 9 allocs/op
`
	rep, err := Allocs(strings.NewReader(base), strings.NewReader(cur), "base", "cur")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Verdict{"mocksrv A": Unchanged, "mocksrv B": Regressed, "mocksrv Gone": Missing, "mocksrv New": New}
	if len(rep.Benchmarks) != len(want) {
		t.Fatalf("got %d benchmarks, want %d: %+v", len(rep.Benchmarks), len(want), rep.Benchmarks)
	}
	for _, b := range rep.Benchmarks {
		if want[b.Name] != b.Verdict {
			t.Errorf("%s: %s, want %s", b.Name, b.Verdict, want[b.Name])
		}
		if b.Name == "mocksrv A" && (b.OldAllocs != 4 || b.NewAllocs != 4 || b.NewSec != 20e-9) {
			t.Errorf("A: allocs %g → %g, time %g: want base's worst run's allocs, cur's best (one noisy run is no regression) and the median time", b.OldAllocs, b.NewAllocs, b.NewSec)
		}
	}
	if !rep.Failed() {
		t.Error("a regression and a missing benchmark did not fail")
	}
	var sb strings.Builder
	if err := WriteAllocs(&sb, rep); err != nil || !strings.HasPrefix(sb.String(), "allocs: FAIL: 2 of 4") {
		t.Errorf("WriteAllocs: %v\n%s", err, sb.String())
	}
}

func TestStripProcs(t *testing.T) {
	for in, want := range map[string]string{"A-2": "A", "A/b-16": "A/b", "A/x-y": "A/x-y", "A-": "A-", "A": "A", "A/p=-1-2": "A/p=-1"} {
		if got := stripProcs(in); got != want {
			t.Errorf("stripProcs(%q) = %q, want %q", in, got, want)
		}
	}
}
