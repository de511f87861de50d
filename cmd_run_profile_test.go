package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunProfiles: run -cpuprofile and -memprofile write pprof's format
// (a gzipped protocol buffer; the allocation profile names the sweep's
// functions); a file that cannot be created is bad input that names the
// flag.
func TestRunProfiles(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "quick.yaml")
	src := "name: quick\nitems: 200\ntimescale: 0.01\nupstream: {latency: 10ms}\nsweep: {strategies: [pooled], pool_sizes: [8]}\n"
	if err := os.WriteFile(scen, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &environ{stdout: &stdout, stderr: &stderr},
		[]string{"run", "-out", filepath.Join(dir, "out"), "-cpuprofile", cpu, "-memprofile", mem, scen})
	if err != nil {
		t.Fatalf("%v; stderr:\n%s", err, stderr.String())
	}
	for _, path := range []string{cpu, mem} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			t.Fatalf("%s: %v", filepath.Base(path), err)
		}
		b, err := io.ReadAll(zr)
		f.Close()
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %d bytes, %v", filepath.Base(path), len(b), err)
		}
		if path == mem && !bytes.Contains(b, []byte("bench/sweep.")) {
			t.Errorf("the allocation profile names no function of bench/sweep")
		}
	}
	err = run(context.Background(), &environ{stdout: &stdout, stderr: &stderr},
		[]string{"run", "-out", filepath.Join(dir, "out2"), "-cpuprofile", filepath.Join(dir, "no", "such", "cpu.prof"), scen})
	if code := exitCode(err); code != 2 || !strings.Contains(err.Error(), "-cpuprofile") {
		t.Errorf("an uncreatable -cpuprofile: exit %d, %v; want 2 naming the flag", code, err)
	}
}
