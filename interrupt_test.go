package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunStdinInterrupted: `poolbench run -` waiting on a standard input
// that never ends is interrupted by the signal: exit 130 for SIGINT, 143
// for SIGTERM, and a line saying what it waited for.
func TestRunStdinInterrupted(t *testing.T) {
	for _, tt := range []struct {
		sig  os.Signal
		code int
	}{{os.Interrupt, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close() // ends the read left blocked
			ctx, cancel := context.WithCancelCause(context.Background())
			time.AfterFunc(50*time.Millisecond, func() { cancel(&signalCause{tt.sig}) })
			var stdout, stderr bytes.Buffer
			start := time.Now()
			err = run(ctx, &environ{stdin: r, stdout: &stdout, stderr: &stderr}, []string{"run", "-out", t.TempDir(), "-"})
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v to end", took)
			}
			code := exitCode(err)
			if code == exitInterrupted {
				code = interruptedCode(ctx)
			}
			if code != tt.code {
				t.Errorf("exit %d (%v), want %d", code, err, tt.code)
			}
			if err == nil || !strings.Contains(err.Error(), "while waiting for the scenario on standard input") {
				t.Errorf("error %v does not say what it waited for", err)
			}
		})
	}
}

// TestWhileBlocked: what read returns, when it returns before ctx is done.
func TestWhileBlocked(t *testing.T) {
	v, err := whileBlocked(context.Background(), "x", func() (int, error) { return 7, nil })
	if v != 7 || err != nil {
		t.Fatalf("got %d, %v", v, err)
	}
}
