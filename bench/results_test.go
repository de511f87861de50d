package bench

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomicMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "f.txt")
	if err := WriteFileAtomic(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o644 {
		t.Errorf("mode = %v, want 0644 (readable reports)", got)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestReadResultsSchema(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "results.json")
	if err := os.WriteFile(p, []byte(`{"schema": 2, "cells": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResults(dir); !errors.Is(err, ErrSchema) {
		t.Errorf("schema 2: err = %v, want ErrSchema", err)
	}
	if err := os.WriteFile(p, []byte(`{"cells": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResults(p); err == nil {
		t.Error("no schema field: want an error")
	}
	if _, err := ReadResults(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
}
