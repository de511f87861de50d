package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/poolbench/poolbench/bench/merge"
	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/internal/publish"
)

const mergeUsage = `[flags] DIR...

Merges the shards of one run (poolbench run -shard i/n, or -shards n in a
Kubernetes Indexed Job) into the results one process doing every item
would have written: counts add, latency percentiles come from the cells'
merged histograms, a cell's wall time runs from the earliest shard's start
to the latest shard's end. Each DIR is a shard's folder (or its
results.json), or a folder holding shard-*/ folders (what the shards of
'poolbench run -shard' write). The merged run is written to -out, by default
the folder the shards sit in, as 'poolbench run' writes one, and its table
printed.

Shards of different scenarios, a shard given twice or a shard missing are
bad input (exit 2): nothing is written.`

// cmdMerge merges shard results into one run.
func cmdMerge(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet("merge", mergeUsage, env.stderr)
	out := fs.String("out", "", "write the merged run to `DIR` (default: the folder the shards sit in)")
	jsonOut := fs.Bool("json", false, "print the merged results.json on stdout (the table goes to stderr)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return badInputf("merge: name the shards' folders")
	}
	paths, err := shardPaths(pos)
	if err != nil {
		return badInput(err)
	}
	shards := make([]merge.Shard, len(paths))
	for i, p := range paths {
		r, err := results.Read(p)
		if err != nil {
			return badInputf("merge: %w", err)
		}
		shards[i] = merge.Shard{Path: p, Results: r}
	}
	res, err := merge.Merge(shards)
	if err != nil {
		return badInputf("merge: %w", err)
	}
	dir := *out
	if dir == "" {
		if dir = commonParent(paths); dir == "" {
			return badInputf("merge: the shards sit in different folders: name where the merged run goes with -out DIR")
		}
	}
	if err := model.Annotate(res); err != nil {
		fmt.Fprintf(env.stderr, "poolbench: model: %v (results written without predictions)\n", err)
	}
	if res.Thresholds, err = results.CheckThresholds(res); err != nil {
		return badInput(err)
	}
	set, err := publish.New(dir)
	if err != nil {
		return err
	}
	defer set.Abort()
	if err := concatRequests(set, paths); err != nil {
		return err
	}
	if err := stageRun(ctx, set, res); err != nil {
		return err
	}
	if err := set.Commit(); err != nil {
		return err
	}
	if err := printRun(env, res, *jsonOut); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "merged %d shards into %s; open %s\n", len(paths), dir, filepath.Join(dir, "index.html"))
	if !res.Complete {
		return failed(errors.New("a shard was interrupted: the merged run is incomplete (\"complete\": false)"))
	}
	if crossed := crossedThresholds(res.Thresholds); len(crossed) > 0 {
		return failed(fmt.Errorf("thresholds crossed: %s", strings.Join(crossed, "; ")))
	}
	return nil
}

// shardPaths expands the arguments to the shards' results.json files: a
// folder holding shard-*/results.json stands for those.
func shardPaths(args []string) ([]string, error) {
	var paths []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		if !fi.IsDir() {
			paths = append(paths, a)
			continue
		}
		if _, err := os.Stat(filepath.Join(a, "results.json")); err == nil {
			if sub, _ := filepath.Glob(filepath.Join(a, "shard-*", "results.json")); len(sub) == 0 {
				paths = append(paths, filepath.Join(a, "results.json"))
				continue
			}
		}
		sub, err := filepath.Glob(filepath.Join(a, "shard-*", "results.json"))
		if err != nil {
			return nil, err
		}
		if len(sub) == 0 {
			return nil, fmt.Errorf("merge: %s holds neither results.json nor shard-*/results.json", a)
		}
		paths = append(paths, sub...)
	}
	for i, p := range paths {
		if abs, err := filepath.Abs(p); err == nil {
			paths[i] = abs
		}
	}
	slices.Sort(paths)
	return paths, nil
}

// commonParent is the folder every shard's folder sits in ("" when they
// sit in different ones).
func commonParent(paths []string) string {
	parent := ""
	for _, p := range paths {
		d := filepath.Dir(filepath.Dir(p))
		if parent != "" && d != parent {
			return ""
		}
		parent = d
	}
	return parent
}

// concatRequests stages requests.jsonl as the shards' files one after the
// other when every shard has one (vegeta's tools read them as one attack
// per cell; each shard's timestamps are its own machine's clock), and
// marks an old one for removal otherwise.
func concatRequests(set *publish.Set, paths []string) error {
	var files []string
	for _, p := range paths {
		f := filepath.Join(filepath.Dir(p), "requests.jsonl")
		if fi, err := os.Stat(f); err != nil || !fi.Mode().IsRegular() {
			set.Remove("requests.jsonl")
			return nil
		}
		files = append(files, f)
	}
	w, err := set.Create("requests.jsonl")
	if err != nil {
		return err
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			w.Abort()
			return err
		}
		_, err = io.Copy(w, f)
		f.Close()
		if err != nil {
			w.Abort()
			return fmt.Errorf("copying %s: %w", name, err)
		}
	}
	return w.Done()
}
