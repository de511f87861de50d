package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestInterruptedMessage: an interruption's message never says "context
// canceled", yet errors.Is finds context.Canceled and the exit code is 130;
// finish turns a canceled error no command mapped into one, and leaves
// everything else alone.
func TestInterruptedMessage(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	live := context.Background()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		args []string
		err  error
		code int
		msg  string
	}{
		{"run's own", canceled, []string{"run"}, interrupted(fmt.Errorf("run slow interrupted: %w", context.Canceled)), 130, "run slow interrupted"},
		{"report's own", canceled, []string{"report"}, interrupted(fmt.Errorf("report: dir: %w", context.Canceled)), 130, "report: dir: interrupted"},
		{"said inside", canceled, []string{"run"}, interrupted(fmt.Errorf("cell x (%w) stopped", context.Canceled)), 130, "cell x (interrupted) stopped"},
		{"bare", canceled, nil, interrupted(context.Canceled), 130, "interrupted"},
		{"unmapped, from predict", canceled, []string{"predict"}, fmt.Errorf("pooled pool 1: %w", context.Canceled), 130, "predict: pooled pool 1: interrupted"},
		{"canceled but not the signal", live, []string{"run"}, fmt.Errorf("x: %w", context.Canceled), 1, "x: context canceled"},
		{"another error while interrupted", canceled, []string{"run"}, badInputf("no such scenario"), 2, "no such scenario"},
		{"no error", canceled, []string{"run"}, nil, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := finish(tc.ctx, tc.args, tc.err)
			if got := exitCode(err); got != tc.code {
				t.Errorf("exit code %d, want %d", got, tc.code)
			}
			if err == nil {
				return
			}
			if err.Error() != tc.msg {
				t.Errorf("message %q, want %q", err.Error(), tc.msg)
			}
			if tc.code == 130 && (strings.Contains(err.Error(), "context canceled") || !errors.Is(err, context.Canceled)) {
				t.Errorf("%q: want no \"context canceled\" in the message, and errors.Is(context.Canceled)", err)
			}
		})
	}
}
