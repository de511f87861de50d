package shardsync

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/bench/results"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestWaitLinesUp: no shard passes a step before the last one reached it.
func TestWaitLinesUp(t *testing.T) {
	const n, steps = 4, 3
	dir := t.TempDir()
	var mu sync.Mutex
	reached := map[int]int{} // step → shards that reached it
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b, err := New(dir, results.Shard{Index: i, Count: n}, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			for step := range steps {
				time.Sleep(time.Duration(i) * 15 * time.Millisecond) // shard i is the slowest
				mu.Lock()
				reached[step]++
				mu.Unlock()
				if err := b.Wait(context.Background(), step); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if reached[step] != n {
					t.Errorf("shard %d passed step %d when %d of %d shards had reached it", i, step, reached[step], n)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestWaitFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want string
	}{
		{"a shard never comes", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, "shard [1 2] of 3 had not reached step 0"},
		{"canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(t.TempDir(), results.Shard{Index: 0, Count: 3}, 50*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := tc.ctx()
			defer cancel()
			err = b.Wait(ctx, 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
			if tc.name == "canceled" && !errors.Is(err, context.Canceled) {
				t.Errorf("error %v is not context.Canceled", err)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := New(t.TempDir(), results.Shard{Index: 3, Count: 3}, time.Second); err == nil {
		t.Error("shard 3/3 accepted")
	}
	if _, err := New(t.TempDir(), results.Shard{Index: 0, Count: 3}, 0); err == nil {
		t.Error("a zero timeout accepted")
	}
}
