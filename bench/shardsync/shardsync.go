// Package shardsync lines up the cells of a run's shards: before each
// cell, every shard waits until all of them have reached it, so that the
// shards' cells start together and no shard's cell overlaps another
// cell of another shard against the shared service (which would measure
// both cells' pools at once). The shards meet in a folder they all see: a
// volume shared by a Kubernetes Job's pods, or a local folder for local
// processes.
//
// A shard announces step K by writing the file DIR/step-K/INDEX, and waits
// until the step's folder holds a file for every index. DIR must be new
// to each run (its files say who reached what, and a later run would
// find them there): the Kubernetes manifest names it after the Job's uid.
package shardsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/internal/publish"
)

// Poll is how often a waiting shard looks for the others: the most a
// shard's cell starts after the last shard reached it, plus the shared
// folder's own delay.
const Poll = 10 * time.Millisecond

// Barrier is one shard's side of the meeting folder.
type Barrier struct {
	dir     string
	shard   results.Shard
	timeout time.Duration
}

// New returns shard's barrier in dir (created if missing). timeout bounds
// each wait: a shard that has not reached a step by then is taken as
// lost, and Wait fails.
func New(dir string, shard results.Shard, timeout time.Duration) (*Barrier, error) {
	if err := shard.Validate(); err != nil {
		return nil, err
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("shard sync: timeout %v: want a positive duration", timeout)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("shard sync: %w", err)
	}
	return &Barrier{dir: dir, shard: shard, timeout: timeout}, nil
}

// Wait announces that this shard reached step and returns once every
// shard has, ctx is done, or the timeout passed (the error names the
// shards missing). A step's files stay, so a shard that arrives late
// passes at once.
func (b *Barrier) Wait(ctx context.Context, step int) error {
	dir := filepath.Join(b.dir, "step-"+strconv.Itoa(step))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("shard sync: %w", err)
	}
	if err := publish.WriteFile(filepath.Join(dir, strconv.Itoa(b.shard.Index)), []byte(b.shard.String()+"\n")); err != nil {
		return fmt.Errorf("shard sync: %w", err)
	}
	deadline := time.Now().Add(b.timeout)
	tick := time.NewTicker(Poll)
	defer tick.Stop()
	for {
		missing, err := b.missing(dir)
		if err != nil {
			return err
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("shard sync: after %v, shard %v of %d had not reached step %d (in %s): did they start, with the same -sync folder?", b.timeout, missing, b.shard.Count, step, b.dir)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// missing lists the shards whose file for the step in dir is not there.
func (b *Barrier) missing(dir string) ([]int, error) {
	var out []int
	for i := range b.shard.Count {
		_, err := os.Stat(filepath.Join(dir, strconv.Itoa(i)))
		switch {
		case errors.Is(err, os.ErrNotExist):
			out = append(out, i)
		case err != nil:
			return nil, fmt.Errorf("shard sync: %w", err)
		}
	}
	return out, nil
}
