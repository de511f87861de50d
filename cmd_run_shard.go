package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/shardsync"
)

// runShard is the shard run's -shard i/n or -shards n ask for (nil: the
// whole run). -shards takes the index from $JOB_COMPLETION_INDEX, which a
// Kubernetes Indexed Job sets in each pod.
func runShard(env *environ, f runFlags) (*results.Shard, error) {
	switch {
	case f.shard != "" && f.shards != 0:
		return nil, errors.New("-shard and -shards: give one (-shards n takes the index from $JOB_COMPLETION_INDEX)")
	case f.shard != "":
		s, err := parseShard(f.shard)
		if err != nil {
			return nil, fmt.Errorf("-shard: %w", err)
		}
		return &s, nil
	case f.shards != 0:
		if env.jobIndex == "" {
			return nil, fmt.Errorf("-shards %d: $JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it in each pod; elsewhere use -shard i/%d)", f.shards, f.shards)
		}
		i, err := strconv.Atoi(env.jobIndex)
		if err != nil {
			return nil, fmt.Errorf("$JOB_COMPLETION_INDEX %q is not a whole number", env.jobIndex)
		}
		s := results.Shard{Index: i, Count: f.shards}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("-shards %d with $JOB_COMPLETION_INDEX %d: %w", f.shards, i, err)
		}
		return &s, nil
	}
	return nil, nil
}

// parseShard parses "i/n": shard i (from 0) of n.
func parseShard(v string) (results.Shard, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(v), "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil {
		return results.Shard{}, fmt.Errorf("%q is not accepted: want i/n, like 0/4 for the first of 4 shards", v)
	}
	s := results.Shard{Index: i, Count: n}
	return s, s.Validate()
}

// shardDir is the folder a shard's files go to, inside the run's: its
// shards sit side by side for poolbench merge.
func shardDir(s results.Shard) string { return "shard-" + strconv.Itoa(s.Index) }

// shardSync is sweep.Options.BeforeCell for a shard given -sync DIR: the
// cell starts once every shard has reached it (bench/shardsync). A shard
// without -sync is warned that its cells may overlap the others'.
func shardSync(env *environ, shard *results.Shard, f runFlags) (func(context.Context, int) error, error) {
	switch {
	case shard == nil && f.sync != "":
		return nil, errors.New("-sync lines up the shards of a run: give -shard i/n or -shards n with it")
	case shard == nil:
		return nil, nil
	case f.sync == "":
		if shard.Count > 1 {
			fmt.Fprintf(env.stderr, "poolbench: warning: shard %s runs its cells without waiting for the other shards (no -sync DIR): a cell of one shard may overlap another cell of another against the shared service\n", shard)
		}
		return nil, nil
	}
	b, err := shardsync.New(f.sync, *shard, f.syncTimeout)
	if err != nil {
		return nil, err
	}
	return b.Wait, nil
}
