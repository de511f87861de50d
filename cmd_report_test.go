package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportInterruptedExitCode: `poolbench report` interrupted (ctx done)
// while it reads requests.jsonl exits 130 and leaves the folder as it was.
func TestReportInterruptedExitCode(t *testing.T) {
	dir := t.TempDir()
	res := `{"schema": 1, "scenario": {"name": "x", "items": 10}, "complete": true,
 "cells": [{"strategy": "serial", "pool": 1, "repeat": 0, "items": 10, "succeeded": 10, "failed": 0, "attempts": 10,
            "wall_seconds": 8.16, "model_wall_seconds": 8.16, "throughput": 1.225,
            "latency": {"mean": 0.816, "p50": 0.816, "p90": 0.816, "p95": 0.816, "p99": 0.816, "max": 0.816}}]}`
	line := `{"attack":"serial/p=1/r=0","seq":0,"code":200,"timestamp":"2026-11-22T12:00:00Z","latency":816000000}` + "\n"
	for name, body := range map[string]string{"results.json": res, "requests.jsonl": strings.Repeat(line, 10)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, &environ{stdout: &stdout, stderr: &stderr}, []string{"report", dir})
	if code := exitCode(err); code != exitInterrupted || !errors.Is(err, context.Canceled) {
		t.Fatalf("exit code %d (%v), want %d", code, err, exitInterrupted)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); !errors.Is(err, os.ErrNotExist) {
		t.Error("index.html written by an interrupted report")
	}
	// Not interrupted, the same folder renders.
	if err := run(context.Background(), &environ{stdout: &stdout, stderr: &stderr}, []string{"report", dir}); err != nil {
		t.Fatalf("report: %v; stderr:\n%s", err, stderr.String())
	}
}
