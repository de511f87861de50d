package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/poolbench/poolbench/bench/compare"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// TestCompareExitCodes checks the exact exit code of poolbench compare
// for each case, on the results files of testdata/script/compare_gate.txtar.
func TestCompareExitCodes(t *testing.T) {
	ar, err := txtar.ParseFile("testdata/script/compare_gate.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range ar.Files {
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"base", "same.json"}, exitOK},
		{[]string{"base", "base"}, exitBadInput},
		{[]string{"base", "fast.json"}, exitOK},
		{[]string{"base", "two.json"}, exitUndecided},
		{[]string{"-allow-inconclusive", "base", "two.json"}, exitOK},
		{[]string{"base", "other.json"}, exitBadInput},
		{[]string{"-other-scenario", "base", "other.json"}, exitOK},
		{[]string{"-threshold", "20%", "base", "slow.json"}, exitOK},
		{[]string{"base", "slow.json"}, exitFailed},
		{[]string{"-format", "json", "base", "slow.json"}, exitFailed},
		{[]string{"base", "fewer.json"}, exitFailed},
		{[]string{"base", "failed.json"}, exitFailed},
		{[]string{"base", "missing.json"}, exitFailed},
		{[]string{"nobaseline", "same.json"}, exitBadInput},
		{[]string{"base", "nonew.json"}, exitBadInput},
		{[]string{"malformed.json", "same.json"}, exitBadInput},
		{[]string{"notresults.json", "same.json"}, exitBadInput},
		{[]string{"schema2.json", "same.json"}, exitBadInput},
		{[]string{"base"}, exitBadInput},
		{[]string{"-threshold", "x", "base", "same.json"}, exitBadInput},
		{[]string{"-alpha", "0", "base", "same.json"}, exitBadInput},
		{[]string{"-format", "xml", "base", "same.json"}, exitBadInput},
		{[]string{"-h"}, exitOK},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"compare"}, tt.args...)
		for i, a := range args {
			if filepath.Ext(a) == ".json" || a == "base" || a == "nobaseline" {
				args[i] = filepath.Join(dir, a)
			}
		}
		err := run(context.Background(), &environ{stdout: &stdout, stderr: &stderr}, args)
		if got := exitCode(err); got != tt.code {
			t.Errorf("compare %v: exit %d, want %d (err %v)", tt.args, got, tt.code, err)
		}
		if tt.code == exitFailed && stdout.Len() == 0 {
			t.Errorf("compare %v: a regression must print the table first", tt.args)
		}
	}
}

// TestCompareAllocsExitCodes checks compare -allocs's exit codes on the
// files of testdata/script/compare_allocs.txtar.
func TestCompareAllocsExitCodes(t *testing.T) {
	ar, err := txtar.ParseFile("testdata/script/compare_allocs.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range ar.Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		base, cur string
		code      int
	}{
		{"base.txt", "same.txt", exitOK},
		{"base.txt", "more.txt", exitFailed},
		{"base.txt", "missing.txt", exitFailed},
		{"base.txt", "bad.txt", exitBadInput},
		{"base.txt", "nomem.txt", exitBadInput},
		{"base.txt", "nosuch.txt", exitBadInput},
		{"nosuch.txt", "same.txt", exitBadInput},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &environ{stdout: &stdout, stderr: &stderr},
			[]string{"compare", "-allocs", filepath.Join(dir, tt.base), filepath.Join(dir, tt.cur)})
		if got := exitCode(err); got != tt.code {
			t.Errorf("compare -allocs %s %s: exit %d, want %d (err %v)", tt.base, tt.cur, got, tt.code, err)
		}
	}
}

// TestBaselineMatchesScenario keeps the committed CI baseline honest: it
// must be readable, complete, recorded from scenarios/ci-gate.yaml as it is
// now (edit the scenario, then `make baseline`), with enough repeats for the
// U test and no failures.
func TestBaselineMatchesScenario(t *testing.T) {
	base, err := results.Read("reports/baseline/ci-gate")
	if err != nil {
		t.Fatalf("the committed baseline: %v (record it with make baseline)", err)
	}
	sc, err := scenario.Load("scenarios/ci-gate.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(sc)
	got, _ := json.Marshal(base.Scenario)
	if !bytes.Equal(got, want) {
		t.Errorf("reports/baseline/ci-gate was recorded from another scenario than scenarios/ci-gate.yaml: run make baseline\n got %s\nwant %s", got, want)
	}
	if !base.Complete {
		t.Error("the baseline run is incomplete")
	}
	if !compare.Decidable(sc.Sweep.Repeats, compare.DefaultOptions.Alpha) {
		t.Errorf("ci-gate has %d repeats: too few for the U test to decide", sc.Sweep.Repeats)
	}
	for _, c := range base.Cells {
		if c.Failed != 0 || c.Attempts != c.Items {
			t.Errorf("%s: %d failed, %d attempts for %d items: the gate scenario must not fail or retry", c.Label(), c.Failed, c.Attempts, c.Items)
		}
	}
	// Compared with itself, the baseline passes with every timing row ~.
	rep, err := compare.Results(base, base, compare.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() || rep.Count(compare.Inconclusive) != 0 {
		t.Errorf("baseline against itself: %s", rep.Headline())
	}
}
