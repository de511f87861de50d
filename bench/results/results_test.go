package results

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

func sample() *Results {
	c := Cell{Strategy: scenario.Pooled, Pool: 2, Items: 10, Succeeded: 8, Failed: 2, Attempts: 14,
		Upstream: &upstream.Counters{Requests: 14, Admitted: 14, Completed: 14, PeakInFlight: 2}}
	c.SetWall(0.5, 0.1)
	return &Results{Schema: SchemaVersion, Scenario: scenario.Scenario{Name: "s"}, Cells: []Cell{c}, Complete: true}
}

func TestWriteRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "results.json")
	r := sample()
	if err := Write(p, r); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("written file: %v %v, want mode 0644", fi, err)
	}
	back, err := Read(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	c := back.Cells[0]
	if c.ModelWallSeconds != 5 || c.Goodput != 8.0/5 || c.Throughput != 2 || c.Timescale != 0.1 {
		t.Errorf("read back %+v", c)
	}
}

func TestReadRefuses(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "results.json")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"schema": 2, "cells": []}`)
	if _, err := Read(dir); !errors.Is(err, ErrSchema) {
		t.Errorf("schema 2: err = %v, want ErrSchema", err)
	}
	for name, body := range map[string]string{
		"no schema":       `{"cells": []}`,
		"not json":        `{"schema": 1,`,
		"null cells":      `{"schema": 1, "scenario": {"name": "s"}, "cells": null}`,
		"no cells":        `{"schema": 1, "scenario": {"name": "s"}}`,
		"negative counts": `{"schema": 1, "scenario": {"name": "s"}, "cells": [{"strategy": "pooled", "items": 5, "succeeded": 9, "failed": -4}]}`,
		"sums":            `{"schema": 1, "scenario": {"name": "s"}, "cells": [{"strategy": "pooled", "items": 5, "succeeded": 1, "failed": 1, "attempts": 2}]}`,
		"negative time":   `{"schema": 1, "scenario": {"name": "s"}, "cells": [{"strategy": "pooled", "items": 1, "succeeded": 1, "attempts": 1, "wall_seconds": -3}]}`,
		"counters":        `{"schema": 1, "scenario": {"name": "s"}, "cells": [{"strategy": "pooled", "items": 1, "succeeded": 1, "attempts": 1, "upstream": {"requests": 3}}]}`,
	} {
		write(body)
		if _, err := Read(p); !errors.Is(err, ErrInvalid) && !strings.Contains(err.Error(), "results") {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		} else if err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
	// Not a regular file: a device that never ends, a FIFO nobody writes.
	if _, err := Read("/dev/zero"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero: %v", err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err == nil {
		done := make(chan error, 1)
		go func() { _, err := Read(fifo); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("FIFO: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("reading a FIFO blocks")
			os.WriteFile(fifo, nil, 0) // unblock the reader
		}
	}
}

func TestFailureClass(t *testing.T) {
	for _, tt := range []struct {
		outcome string
		n       int
		want    string
	}{
		{"503", 4, "503 after 4 attempts"},
		{"timeout", 1, "timeout after 1 attempt"},
		{scenario.OutcomeCanceled, 2, "canceled"},
	} {
		if got := FailureClass(tt.outcome, tt.n); got != tt.want {
			t.Errorf("FailureClass(%q, %d) = %q, want %q", tt.outcome, tt.n, got, tt.want)
		}
	}
}

// TestLatencies: percentiles within 0.1% of the exact nearest-rank ones,
// exact mean and max, in model seconds.
func TestLatencies(t *testing.T) {
	l := NewLatencies()
	for i := 100; i >= 1; i-- {
		l.Record(time.Duration(i) * time.Millisecond)
	}
	p := l.Percentiles(0.01)
	for _, tt := range []struct{ got, want float64 }{{p.P50, 5}, {p.P90, 9}, {p.P95, 9.5}, {p.P99, 9.9}, {p.Max, 10}, {p.Mean, 5.05}} {
		if tt.got < tt.want*0.999 || tt.got > tt.want*1.001 {
			t.Errorf("%+v: %v, want %v ± 0.1%%", p, tt.got, tt.want)
		}
	}
	if (NewLatencies().Percentiles(1) != Percentiles{}) {
		t.Error("no latencies: want zeros")
	}
	one := NewLatencies()
	one.Record(3 * time.Second)
	if p := one.Percentiles(1); p.P50 != 3 || p.P99 != 3 || p.Max != 3 {
		t.Errorf("one value: %+v", p)
	}
}

func TestGroups(t *testing.T) {
	var cells []Cell
	for _, c := range []struct {
		s    scenario.Strategy
		pool int
	}{{scenario.Unbounded, 0}, {scenario.Pooled, 8}, {scenario.Serial, 1}, {scenario.Pooled, 2}, {scenario.Pooled, 8}} {
		cells = append(cells, Cell{Strategy: c.s, Pool: c.pool, Items: 1})
	}
	gs := Groups(cells)
	var names []string
	for _, g := range gs {
		names = append(names, g.Name())
	}
	if got := strings.Join(names, " "); got != "serial pooled(2) pooled(8) unbounded" {
		t.Errorf("groups %s", got)
	}
	if len(gs[2].Cells) != 2 {
		t.Errorf("pooled(8) has %d cells", len(gs[2].Cells))
	}
	if s := StatOf([]float64{3, 1, 2, 10}); s.Median != 2.5 || s.Min != 1 || s.Max != 10 || !s.Spread() {
		t.Errorf("StatOf %+v", s)
	}
}

// TestTurnsOn: the harness's reasons name what makes a cell's answer turn
// on a few milliseconds: an adaptive limit, retries, or answers due
// together.
func TestTurnsOn(t *testing.T) {
	for _, tc := range []struct {
		st       scenario.Strategy
		attempts int
		want     string
	}{
		{scenario.Adaptive, 100, "its limit follows when answers arrive"},
		{scenario.Pooled, 130, "retries that come back together"},
		{scenario.Pooled, 100, "answers due at the same instant"},
	} {
		c := Cell{Strategy: tc.st, Items: 100, Attempts: tc.attempts}
		if got := c.TurnsOn(); !strings.Contains(got, tc.want) {
			t.Errorf("%s, %d attempts: %q, want %q", tc.st, tc.attempts, got, tc.want)
		}
	}
}
