package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
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
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"base", "same.json"}, exitOK},
		{[]string{"base", "fast.json"}, exitOK},
		{[]string{"base", "two.json"}, exitOK},
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
		err := run(context.Background(), args, &stdout, &stderr)
		if got := exitCode(err); got != tt.code {
			t.Errorf("compare %v: exit %d, want %d (err %v)", tt.args, got, tt.code, err)
		}
		if tt.code == exitFailed && stdout.Len() == 0 {
			t.Errorf("compare %v: a regression must print the table first", tt.args)
		}
	}
}
