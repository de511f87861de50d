//go:build linux

package loop

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestFatalFaults: a failure of what the loop itself needs (waiting for
// events, arming its timer, waking up) ends it with an error that
// Shutdown returns, instead of a silent hang.
func TestFatalFaults(t *testing.T) {
	for _, tt := range []struct {
		op   sysOp
		want string
	}{
		{opEpollWait, "epoll_wait"},
		{opTimerfdSettime, "timerfd_settime"},
		{opEventfdWrite, "eventfd write"}, // when Shutdown wakes the loop
	} {
		t.Run(tt.op.String(), func(t *testing.T) {
			var armed atomic.Bool
			hit := make(chan struct{})
			var once sync.Once
			lp, _ := startLoop(t, &fakeService{}, func(op sysOp, fd int) error {
				if op == tt.op && armed.Load() {
					once.Do(func() { close(hit) })
					return unix.EIO
				}
				return nil
			})
			time.Sleep(20 * time.Millisecond) // the loop sleeps; housekeeping wakes it within 250 ms
			armed.Store(true)
			if tt.op != opEventfdWrite {
				select {
				case <-hit:
				case <-time.After(2 * time.Second):
					t.Fatalf("no %v in 2 s", tt.op)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			err := lp.Shutdown(ctx)
			if err == nil || !errors.Is(err, unix.EIO) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Shutdown: %v, want the %s failure", err, tt.want)
			}
		})
	}
}

// TestConnFaults: a failure about one connection closes that connection
// and the loop goes on serving the others.
func TestConnFaults(t *testing.T) {
	for _, op := range []sysOp{opEpollCtl, opSetsockopt, opRead, opWrite} {
		t.Run(op.String(), func(t *testing.T) {
			var fail atomic.Bool
			lp, addr := startLoop(t, &fakeService{body: []byte("ok")}, func(o sysOp, fd int) error {
				if o == op && fail.Load() {
					fail.Store(false) // once
					return unix.ENOMEM
				}
				return nil
			})
			fail.Store(true)
			if status, err := get(addr); err == nil {
				t.Errorf("failed %v: %d, want the connection closed", op, status)
			}
			if status, err := get(addr); status != 200 {
				t.Errorf("the next connection: %d %v", status, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			if err := lp.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
}
