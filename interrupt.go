package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// signalCause is why the command's context was canceled: a signal.
type signalCause struct{ sig os.Signal }

func (s *signalCause) Error() string {
	if s.sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// notifyContext returns a context canceled, with a *signalCause, by the
// first SIGINT or SIGTERM; the second one finds the default handling back
// and ends the process at once, whatever it is blocked in. stop releases
// the signals.
func notifyContext() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			signal.Stop(sigs)
			cancel(&signalCause{sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// interruptedCode is the exit status of a command interrupted by the
// signal that canceled ctx: 143 (128 + 15) for SIGTERM, 130 otherwise, as
// a shell reports a process the signal killed.
func interruptedCode(ctx context.Context) int {
	var s *signalCause
	if errors.As(context.Cause(ctx), &s) && s.sig == syscall.SIGTERM {
		return 128 + int(syscall.SIGTERM)
	}
	return exitInterrupted
}

// whileBlocked runs read, which may block where no deadline reaches
// (standard input, a FIFO, a pipe's /dev/fd/N: opening a FIFO waits for a
// writer), and returns what it returns; or, as soon as ctx is done, an
// interruption saying what was being read. read is then left blocked on
// its goroutine: the process is about to exit.
func whileBlocked[T any](ctx context.Context, what string, read func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := read()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, interrupted(fmt.Errorf("interrupted (%w) while waiting for %s", context.Cause(ctx), what))
	}
}

// badInputUnlessExit wraps err as bad input (exit 2) unless it carries an
// exit status already (an interruption).
func badInputUnlessExit(err error) error {
	var e *exitError
	if errors.As(err, &e) {
		return err
	}
	return badInput(err)
}
