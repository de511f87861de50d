package scenario

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// validScenario is a minimal scenario every table case edits.
const validScenario = `name: t
items: 10
upstream:
  latency: 10ms
  cap: 2
client:
  timeout: 1s
  retry:
    backoff: exponential
    base: 10ms
sweep:
  strategies: [serial, pooled]
  pool_sizes: [1, 2]
`

func TestParseValid(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(validScenario))
	if err != nil {
		t.Fatal(err)
	}
	if !sc.Timescale.IsZero() || sc.Sweep.Repeats != 1 || !sc.Client.KeepAliveOn() {
		t.Errorf("defaults not filled: timescale %v repeats %d keepalive %v", sc.Timescale, sc.Sweep.Repeats, sc.Client.KeepAliveOn())
	}
	r := sc.Client.Retry
	if r.MaxAttempts != 4 || len(r.On) != 4 || r.Max.D() != DefaultBackoffMax {
		t.Errorf("retry defaults not filled: %+v", r)
	}
	if sc.Upstream.Overflow != "queue" || sc.Upstream.Timescale != 0 {
		t.Errorf("upstream defaults: overflow %q timescale %v", sc.Upstream.Overflow, sc.Upstream.Timescale)
	}
}

// TestParseErrors checks that every kind of bad input names the file, the
// line of the offending field and what is accepted.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string // substrings of the error
	}{
		{"unknown top-level field", func(s string) string { return s + "itmes: 3\n" },
			[]string{"t.yaml:14:", `unknown field "itmes" at the top level`, "accepted: name, description, items"}},
		{"unknown nested field", func(s string) string {
			return strings.Replace(s, "    base: 10ms\n", "    base: 10ms\n    jitter: full\n", 1)
		}, []string{"t.yaml:11:", `unknown field "jitter" in client.retry`, "max_attempts, on, backoff"}},
		{"wrong type", func(s string) string { return strings.Replace(s, "items: 10", "items: ten", 1) },
			[]string{"t.yaml:2:", "items: want a whole number", `"ten"`}},
		{"bad duration", func(s string) string { return strings.Replace(s, "timeout: 1s", "timeout: 1 second", 1) },
			[]string{"t.yaml:7:", "client.timeout", "816ms, 1.5s"}},
		{"list expected", func(s string) string {
			return strings.Replace(s, "pool_sizes: [1, 2]", "pool_sizes: 4", 1)
		}, []string{"t.yaml:13:", "sweep.pool_sizes: want a list"}},
		{"items out of range", func(s string) string { return strings.Replace(s, "items: 10", "items: 0", 1) },
			[]string{"t.yaml:2:", "items: 0 is out of range: want 1 to 1000000"}},
		{"bad pool", func(s string) string { return strings.Replace(s, "[1, 2]", "[1, 0]", 1) },
			[]string{"t.yaml:13:", "sweep.pool_sizes[1]: 0 is out of range"}},
		{"adaptive without the strategy", func(s string) string { return s + "  adaptive: {algorithm: aimd}\n" },
			[]string{"t.yaml:14:", "sweep.adaptive: is set but strategies has no adaptive"}},
		{"adaptive algorithm", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, adaptive]", 1) + "  adaptive:\n    algorithm: cubic\n"
		}, []string{"t.yaml:15:", `sweep.adaptive.algorithm: "cubic" is not accepted`, "aimd", "vegas"}},
		{"adaptive backoff ratio", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, adaptive]", 1) + "  adaptive:\n    initial: 4\n    backoff_ratio: 1.5\n"
		}, []string{"t.yaml:16:", "sweep.adaptive.backoff_ratio: 1.5 is out of range", "below 1"}},
		{"adaptive initial above max", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, adaptive]", 1) + "  adaptive: {initial: 50, max: 10}\n"
		}, []string{"t.yaml:14:", "sweep.adaptive.initial: 50 is out of range: want min (1) to max (10)"}},
		{"adaptive unknown field", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, adaptive]", 1) + "  adaptive: {ratio: 0.5}\n"
		}, []string{"t.yaml:14:", `unknown field "ratio"`, "backoff_ratio"}},
		{"rate without rates", func(s string) string { return strings.Replace(s, "[serial, pooled]", "[serial, pooled, rate]", 1) },
			[]string{"t.yaml:11:", "sweep.rates: missing", "[1/s, 2/s, 4/s]"}},
		{"rates without rate", func(s string) string { return s + "  rates: [1/s]\n" },
			[]string{"t.yaml:14:", "sweep.rates: are set but strategies has no rate"}},
		{"bad rate", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, rate]", 1) + "  rates: [1/s, 0.5/s]\n"
		},
			[]string{"t.yaml:14:", "sweep.rates[1]", `invalid rate "0.5/s"`, "1/2s"}},
		{"rate out of range", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, rate]", 1) + "  rates: [2000000/s]\n"
		},
			[]string{"t.yaml:14:", "sweep.rates[0]", "out of range"}},
		{"duplicate rate", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, rate]", 1) + "  rates: [2/s, 4/2s]\n"
		},
			[]string{"t.yaml:14:", "sweep.rates[1]: 4/2s is listed twice (2/s)"}},
		{"rate block without rate", func(s string) string { return s + "  rate: {pacer: linear, slope: 1}\n" },
			[]string{"t.yaml:14:", "sweep.rate: is set but strategies has no rate"}},
		{"bad pacer", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, rate]", 1) + "  rates: [1/s]\n  rate:\n    pacer: poisson\n"
		},
			[]string{"t.yaml:16:", `sweep.rate.pacer: "poisson" is not accepted`, "linear", "sine"}},
		{"sine amplitude", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, rate]", 1) + "  rates: [1/s, 4/s]\n  rate:\n    pacer: sine\n    period: 10s\n    amplitude: 2/s\n"
		}, []string{"t.yaml:18:", "sweep.rate.amplitude: 2/s is not below the rate 1/s"}},
		{"slope without linear", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, rate]", 1) + "  rates: [1/s]\n  rate: {slope: 2}\n"
		},
			[]string{"t.yaml:15:", "sweep.rate.slope: is for pacer linear"}},
		{"rate unknown field", func(s string) string {
			return strings.Replace(s, "[serial, pooled]", "[serial, pooled, rate]", 1) + "  rates: [1/s]\n  rate: {workers: 2}\n"
		},
			[]string{"t.yaml:15:", `unknown field "workers"`, "max_in_flight"}},
		{"parallel out of range", func(s string) string { return s + "  parallel: 99\n" },
			[]string{"t.yaml:14:", "sweep.parallel: 99 is out of range: want 1 to 16"}},
		{"duplicate pool", func(s string) string { return strings.Replace(s, "[1, 2]", "[2, 2]", 1) },
			[]string{"sweep.pool_sizes[1]: 2 is listed twice"}},
		{"unknown strategy", func(s string) string { return strings.Replace(s, "[serial, pooled]", "[serial, async]", 1) },
			[]string{"t.yaml:12:", `sweep.strategies[1]: unknown strategy "async"`, `"workers"`}},
		{"no pools", func(s string) string { return strings.Replace(s, "  pool_sizes: [1, 2]\n", "", 1) },
			[]string{"t.yaml:11:", "sweep.pool_sizes: missing"}},
		{"bad backoff", func(s string) string { return strings.Replace(s, "exponential", "linear", 1) },
			[]string{"t.yaml:9:", `client.retry.backoff: unknown backoff "linear"`, `"constant"`}},
		{"backoff without base", func(s string) string { return strings.Replace(s, "    base: 10ms\n", "", 1) },
			[]string{"t.yaml:8:", "client.retry.base", "needs a base delay"}},
		{"bad retry class", func(s string) string {
			return strings.Replace(s, "    base: 10ms\n", "    base: 10ms\n    on: [5xx, 404]\n", 1)
		}, []string{"t.yaml:11:", `client.retry.on[1]: unknown retry class "404"`}},
		{"timescale too big", func(s string) string { return "timescale: 2000\n" + s },
			[]string{"t.yaml:1:12:", "timescale: time scale 2000 is out of range", "or auto"}},
		{"timescale zero", func(s string) string { return "timescale: 0\n" + s },
			[]string{"t.yaml:1:12:", "timescale: time scale 0 is out of range: leave it unset"}},
		{"timescale below the floor", func(s string) string { return "timescale: 1e-9\n" + s },
			[]string{"t.yaml:1:12:", "time scale 1e-09 is out of range"}},
		{"timescale below the floor, written otherwise", func(s string) string { return "timescale: 1.0e-9\n" + s },
			[]string{"t.yaml:1:12:", "time scale 1e-09 is out of range"}},
		{"timescale word", func(s string) string { return "timescale: fast\n" + s },
			[]string{"t.yaml:1:12:", `time scale "fast" is not a number`, "or auto"}},
		{"octal items", func(s string) string { return strings.Replace(s, "items: 10", "items: 010", 1) },
			[]string{"t.yaml:2:8:", "items: want a whole number in plain decimal digits, not \"010\""}},
		{"hex pool", func(s string) string { return strings.Replace(s, "[1, 2]", "[1, 0x2]", 1) },
			[]string{"t.yaml:13:", "plain decimal"}},
		{"max_wait below base", func(s string) string {
			return strings.Replace(s, "    base: 10ms\n", "    base: 10ms\n    max_wait: 1ms\n", 1)
		}, []string{"t.yaml:11:", "client.retry.max_wait: 1ms is below the backoff base 10ms"}},
		{"upstream timescale", func(s string) string {
			return strings.Replace(s, "  cap: 2\n", "  cap: 2\n  timescale: 0.5\n", 1)
		}, []string{"t.yaml:6:", "upstream.timescale: must be left unset"}},
		{"upstream validate", func(s string) string { return strings.Replace(s, "cap: 2", "cap: -1", 1) },
			[]string{"t.yaml:5:", "upstream.cap", "positive number"}},
		{"upstream bad latency", func(s string) string { return strings.Replace(s, "latency: 10ms", "latency: fast", 1) },
			[]string{"t.yaml:4:", "upstream.latency"}},
		{"both upstream and target", func(s string) string { return s + "target:\n  url: http://127.0.0.1:1/\n" },
			[]string{"t.yaml:14:", "both upstream and target"}},
		{"bad name", func(s string) string { return strings.Replace(s, "name: t", "name: My Service", 1) },
			[]string{"t.yaml:1:", "name:", "lower-case"}},
		{"bool expected", func(s string) string {
			return strings.Replace(s, "  timeout: 1s\n", "  timeout: 1s\n  keepalive: yes\n", 1)
		}, []string{"t.yaml:8:", "client.keepalive: want true or false"}},
		{"duplicate key", func(s string) string { return s + "items: 3\n" },
			[]string{"t.yaml:14:", "items", "already defined"}},
		{"empty", func(string) string { return "# nothing\n" }, []string{"t.yaml:1:", "empty file"}},
		{"syntax", func(s string) string { return s + "sweep: [\n" }, []string{"t.yaml:"}},
		{"two documents", func(s string) string { return s + "---\nname: u\n" }, []string{"more than one YAML document"}},
		{"missing name", func(s string) string { return strings.Replace(s, "name: t\n", "", 1) },
			[]string{"t.yaml:1:", "name: missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.edit(validScenario)))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	src := "name: ext\nitems: 3\ntarget:\n  url: http://localhost:8080/x\n  headers: {Accept: application/json}\nsweep:\n  strategies: [serial]\n"
	sc, err := Parse("ext.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Target.Method != "GET" || sc.Target.Headers["Accept"] != "application/json" {
		t.Errorf("target = %+v", sc.Target)
	}
	if err := CheckTarget(t.Context(), sc.Target); err != nil {
		t.Errorf("localhost refused: %v", err)
	}
	par := src + "  parallel: 2\n"
	if _, err := Parse("ext.yaml", []byte(par)); err == nil || !strings.Contains(err.Error(), "ext.yaml:8:") || !strings.Contains(err.Error(), "share the external service") {
		t.Errorf("parallel cells against a target: %v", err)
	}
	bad := strings.Replace(src, "http://localhost:8080/x", "ftp://x", 1)
	if _, err := Parse("ext.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "ext.yaml:4:") {
		t.Errorf("ftp URL: %v", err)
	}
}

func TestCheckTarget(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080/", true},
		{"http://127.9.9.9/", true},
		{"http://[::1]:80/", true},
		{"http://LOCALHOST/", true},
		{"http://10.0.0.1/", false},
		{"http://192.168.1.1/", false},
		{"https://example.com/", false},
	} {
		err := CheckTarget(t.Context(), &Target{URL: tt.url})
		if (err == nil) != tt.ok {
			t.Errorf("CheckTarget(%s) = %v", tt.url, err)
		}
		if err != nil && !errors.Is(err, ErrRemote) {
			t.Errorf("CheckTarget(%s) error does not wrap ErrRemote: %v", tt.url, err)
		}
	}
}

// TestCheckHostResolves: a name is trusted for its resolved addresses, not
// for what it says.
func TestCheckHostResolves(t *testing.T) {
	lookup := func(addrs ...string) func(context.Context, string) ([]net.IPAddr, error) {
		return func(context.Context, string) ([]net.IPAddr, error) {
			var out []net.IPAddr
			for _, a := range addrs {
				out = append(out, net.IPAddr{IP: net.ParseIP(a)})
			}
			return out, nil
		}
	}
	if err := checkHost(t.Context(), "svc.test", lookup("127.0.0.1", "::1")); err != nil {
		t.Errorf("a name resolving to loopback only: %v", err)
	}
	err := checkHost(t.Context(), "localhost", lookup("127.0.0.1", "203.0.113.7"))
	if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "localhost resolves to 203.0.113.7") {
		t.Errorf("localhost resolving beyond loopback: %v", err)
	}
	failing := func(context.Context, string) ([]net.IPAddr, error) { return nil, errors.New("no such host") }
	if err := checkHost(t.Context(), "nosuch.test", failing); !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "could not be resolved") {
		t.Errorf("an unresolvable name: %v", err)
	}
}

func TestLoad(t *testing.T) {
	builtin := fstest.MapFS{"demo.yaml": {Data: []byte(strings.Replace(validScenario, "name: t", "name: demo", 1))}}
	sc, err := Load("demo", builtin)
	if err != nil || sc.Name != "demo" {
		t.Fatalf("Load(demo) = %v, %v", sc, err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(p, []byte(validScenario+"bogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(p, builtin)
	if err == nil || !strings.Contains(err.Error(), p+":14:") {
		t.Errorf("Load(file) error = %v, want %s:14:", err, p)
	}
	_, err = Load("nope", builtin)
	if err == nil || !strings.Contains(err.Error(), "demo") {
		t.Errorf("Load(nope) = %v, want the built-in names listed", err)
	}
	var fe *FieldError
	if _, err := Load(p, builtin); !errors.As(err, &fe) || fe.Line != 14 {
		t.Errorf("error is not a *FieldError at line 14: %#v", err)
	}
}

// TestBuiltinScenarios loads every scenario shipped in scenarios/.
func TestBuiltinScenarios(t *testing.T) {
	builtin := os.DirFS("../../scenarios")
	names, err := BuiltinNames(builtin)
	if err != nil || len(names) < 2 {
		t.Fatalf("BuiltinNames = %v, %v", names, err)
	}
	for _, n := range names {
		sc, err := Load(n, builtin)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if sc.Name != n || sc.Description == "" {
			t.Errorf("%s: name %q, description %q", n, sc.Name, sc.Description)
		}
	}
}

func TestWithDefaultsCopies(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(validScenario))
	if err != nil {
		t.Fatal(err)
	}
	d := sc.WithDefaults()
	d.Sweep.PoolSizes[0] = 99
	d.Client.Retry.On[0] = "x"
	*d.Client.KeepAlive = false
	if sc.Sweep.PoolSizes[0] == 99 || sc.Client.Retry.On[0] == "x" || !*sc.Client.KeepAlive {
		t.Error("WithDefaults shares memory with its receiver")
	}
	if d.Client.Timeout.D() != time.Second {
		t.Errorf("timeout %v", d.Client.Timeout.D())
	}
}

// FuzzParse checks that the loader never panics and that whatever it
// accepts is valid and has its defaults filled.
func FuzzParse(f *testing.F) {
	f.Add([]byte(validScenario))
	for _, n := range []string{"seed-816s", "cap-sweep"} {
		if b, err := os.ReadFile("../scenarios/" + n + ".yaml"); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: x\nitems: 1\ntarget: {url: 'http://127.0.0.1/'}\nsweep: {strategies: [unbounded]}\n"))
	f.Add([]byte("a: &x {b: 1}\nc: *x\n"))
	f.Add([]byte("[1, 2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("f.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Error("empty error")
			}
			return
		}
		if err := sc.Validate(); err != nil {
			t.Errorf("Parse accepted an invalid scenario: %v", err)
		}
		if sc.Sweep.Repeats == 0 || sc.Client.Retry.MaxAttempts == 0 {
			t.Errorf("defaults not filled: %+v", sc)
		}
	})
}

// TestThresholds: criteria read from the scenario, errors at their line.
func TestThresholds(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(validScenario+"thresholds:\n  cells: recommended\n  p99: \"< 2s\"\n  failed_items: \"<= 1%\"\n  goodput: \"> 2.5/s\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	cs, cells, err := sc.Criteria()
	if err != nil || cells != ThresholdsRecommended || len(cs) != 3 {
		t.Fatalf("criteria %+v %q %v", cs, cells, err)
	}
	want := []Criterion{
		{Metric: "failed_items", Op: "<=", Value: 0.01, Share: true, Text: "failed_items <= 1%"},
		{Metric: "goodput", Op: ">", Value: 2.5, Text: "goodput > 2.5/s"},
		{Metric: "p99", Op: "<", Value: 2, Text: "p99 < 2s"},
	}
	for i := range want {
		if cs[i] != want[i] {
			t.Errorf("criterion %d = %+v, want %+v", i, cs[i], want[i])
		}
	}
	if !cs[2].Holds(1.9) || cs[2].Holds(2) || !cs[0].Holds(0.01) || cs[1].Holds(2.5) {
		t.Error("Holds")
	}
	for src, want := range map[string]string{
		"thresholds:\n  p99: \"< fast\"\n":        "t.yaml:15:3: thresholds.p99: p99 takes a duration",
		"thresholds:\n  latency: \"< 2s\"\n":      `t.yaml:15:3: thresholds.latency: unknown metric "latency": want one of attempts_per_item, failed_items`,
		"thresholds:\n  cells: some\n":            `t.yaml:15:3: thresholds.cells: "some" is not accepted`,
		"thresholds:\n  goodput: \"2/s\"\n":       `thresholds.goodput: "2/s": want OP VALUE`,
		"thresholds:\n  failed_items: \"< -1\"\n": "is not a bound",
	} {
		if _, err := Parse("t.yaml", []byte(validScenario+src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}
