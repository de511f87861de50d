package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// TestRunInterruptedExitCode: canceling `poolbench run` (what Ctrl-C does
// through signal.NotifyContext) writes the partial results and maps to
// exit status 130.
func TestRunInterruptedExitCode(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "slow.yaml")
	src := "name: slow\nitems: 100\ntimescale: 0.01\nupstream: {latency: 1s, cap: 1}\nsweep: {strategies: [serial, pooled], pool_sizes: [2]}\n"
	if err := os.WriteFile(scen, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	err := run(ctx, &environ{stdout: &stdout, stderr: &stderr}, []string{"run", "-out", out, scen})
	if code := exitCode(err); code != exitInterrupted {
		t.Fatalf("exit code %d (%v), want %d; stderr:\n%s", code, err, exitInterrupted, stderr.String())
	}
	res, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Complete || len(res.Cells) != 1 || !res.Cells[0].Interrupted {
		t.Fatalf("results: complete %v, cells %+v", res.Complete, res.Cells)
	}
	c := res.Cells[0]
	if c.Succeeded+c.Failed != c.Items || c.Failures["canceled"] == 0 {
		t.Errorf("interrupted cell books: %+v", c)
	}
	// The report is rendered even though ctx is done.
	for _, name := range []string{"requests.jsonl", "index.html"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}

// TestPreflight: a plan whose requests in flight need more memory than is
// available is refused; one that needs more than half of it, or more file
// descriptors than allowed, gets a warning.
func TestPreflight(t *testing.T) {
	sc, err := scenario.Parse("p.yaml", []byte("name: p\nitems: 100000\nupstream: {latency: 1s}\nsweep: {strategies: [unbounded]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		mem, fds     uint64
		source       string
		refused      bool
		warn, reason string
	}{
		{"plenty", 64 << 30, 1 << 20, "MemAvailable", false, "", ""},
		{"over half", 3 << 30, 1 << 20, "MemAvailable", false, "more than half", ""},
		{"too little", 1 << 30, 1 << 20, "MemAvailable", true, "", "the plan needs about 2.0 GiB of memory for 100,000 requests in flight"},
		{"too little in a container", 200 << 20, 1 << 20, "/sys/fs/cgroup/memory.max", true, "",
			"and 200 MiB is available (under the cgroup limit in /sys/fs/cgroup/memory.max, minus its usage)"},
		{"few descriptors", 64 << 30, 1024, "", false, "ulimit -n is 1024: raise it (ulimit -n 200064)", ""},
	} {
		var stderr bytes.Buffer
		err := preflight(&environ{stderr: &stderr, memAvailable: tc.mem, memSource: tc.source, fdLimit: tc.fds}, sc)
		if (err != nil) != tc.refused || tc.reason != "" && !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: err %v, want refused %v with %q", tc.name, err, tc.refused, tc.reason)
		}
		if !strings.Contains(stderr.String(), tc.warn) || tc.warn == "" && stderr.Len() > 0 {
			t.Errorf("%s: stderr %q, want %q", tc.name, stderr.String(), tc.warn)
		}
	}
}

// TestApplyOverridesHTTP: -http sets a target's protocol or the embedded
// mock's, leaves the scenario it came from alone, and is validated.
func TestApplyOverridesHTTP(t *testing.T) {
	up := (&scenario.Scenario{Name: "u", Items: 10, Upstream: &upstream.Config{Latency: "1ms"},
		Sweep: scenario.Sweep{Strategies: []scenario.Strategy{scenario.Serial}}}).WithDefaults()
	orig := up.Upstream
	if err := applyOverrides(&up, runFlags{http: 2}); err != nil || up.Upstream.HTTP != 2 || orig.HTTP != 0 {
		t.Errorf("upstream: err %v, http %d (the original's %d)", err, up.Upstream.HTTP, orig.HTTP)
	}
	tg := (&scenario.Scenario{Name: "t", Items: 10, Target: &scenario.Target{URL: "http://127.0.0.1:1/"},
		Sweep: scenario.Sweep{Strategies: []scenario.Strategy{scenario.Serial}}}).WithDefaults()
	if err := applyOverrides(&tg, runFlags{http: 2}); err != nil || tg.Target.HTTP != 2 {
		t.Errorf("target: err %v, http %d", err, tg.Target.HTTP)
	}
	if err := applyOverrides(&tg, runFlags{http: 3}); err == nil || !strings.Contains(err.Error(), "http") {
		t.Errorf("-http 3: %v, want an error naming http", err)
	}
}
