package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/results"
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
