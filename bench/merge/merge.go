// Package merge adds up the shards of one run (poolbench run -shard i/n,
// each a process, a machine or a Kubernetes pod doing items i, i+n, … of
// every cell) into the results one process doing every item would have
// written:
//
//   - counts add: items, succeeded, failed, attempts, failures and outcomes
//     by class, the connections opened and the requests re-sent on a new
//     one;
//   - latency percentiles come from the merged HdrHistograms the cells
//     carry (Cell.Histogram: bucket counts add), so they are exactly those
//     of one histogram of every item; the mean and the maximum are exact;
//   - a cell's wall time runs from the earliest shard's start of it to the
//     latest shard's end of it (wall clocks: shards on several machines
//     are only as aligned as their clocks);
//   - a rate cell's schedule (each shard ran the rate): items started and
//     late add, and so do the start rates; its uncorrected latency and
//     lateness percentiles are the worst shard's, an upper bound, not
//     the merged figure.
//
// The merged run records n clients (Scenario.Clients times n), each with
// the cells' pool. Shards of different scenarios, a shard given twice, a
// shard missing, or a shard without histograms are errors: nothing is
// merged.
package merge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/poolbench/poolbench/bench/results"
)

// Shard is one shard's results and where they were read from (named in
// errors).
type Shard struct {
	Path    string
	Results *results.Results
}

// ErrShards is wrapped by every error about the set of shards given (as
// opposed to a failure to merge figures that were valid).
var ErrShards = errors.New("not the shards of one run")

// Merge merges the shards of one run into new results (the shards are left
// as they are). The merged results have no predictions, thresholds or
// recommendation: the caller annotates them as a run's.
func Merge(shards []Shard) (*results.Results, error) {
	if err := check(shards); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrShards, err)
	}
	shards = slices.Clone(shards)
	slices.SortFunc(shards, func(a, b Shard) int { return a.Results.Shard.Index - b.Results.Shard.Index })
	first := shards[0].Results
	n := first.Shard.Count
	out := &results.Results{
		Schema:       results.SchemaVersion,
		Scenario:     first.Scenario,
		Machine:      first.Machine,
		Started:      first.Started,
		Finished:     first.Finished,
		Complete:     true,
		Calibration:  first.Calibration,
		Cells:        []results.Cell{},
		MergedShards: n,
	}
	out.Scenario.Clients = first.Scenario.ClientCount() * n
	for _, s := range shards {
		r := s.Results
		out.Complete = out.Complete && r.Complete
		if r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		if r.Finished.After(out.Finished) {
			out.Finished = r.Finished
		}
	}
	for _, c := range first.Cells {
		parts := make([]*results.Cell, 0, n)
		for _, s := range shards {
			if sc := find(s.Results, c); sc != nil {
				parts = append(parts, sc)
			}
		}
		if len(parts) < n { // a shard interrupted before this cell (check saw it incomplete)
			out.Complete = false
			continue
		}
		m, err := Cells(parts)
		if err != nil {
			return nil, err
		}
		out.Cells = append(out.Cells, m)
	}
	return out, nil
}

// check refuses a set of results that are not every shard of one run,
// once each.
func check(shards []Shard) error {
	if len(shards) == 0 {
		return errors.New("no shards given")
	}
	first := shards[0]
	if first.Results.Shard == nil {
		return fmt.Errorf("%s is not a shard (it was run without -shard)", first.Path)
	}
	n := first.Results.Shard.Count
	scen, err := json.Marshal(first.Results.Scenario)
	if err != nil {
		return err
	}
	byIndex := make([]string, n)
	for _, s := range shards {
		sh := s.Results.Shard
		switch {
		case sh == nil:
			return fmt.Errorf("%s is not a shard (it was run without -shard)", s.Path)
		case sh.Count != n:
			return fmt.Errorf("%s is shard %s and %s is shard %s: shards of one run share their count", first.Path, first.Results.Shard, s.Path, sh)
		case sh.Validate() != nil:
			return fmt.Errorf("%s: %w", s.Path, sh.Validate())
		case byIndex[sh.Index] != "":
			return fmt.Errorf("%s and %s are both shard %s: give each shard once", byIndex[sh.Index], s.Path, sh)
		}
		byIndex[sh.Index] = s.Path
		b, err := json.Marshal(s.Results.Scenario)
		if err != nil {
			return err
		}
		if !bytes.Equal(b, scen) {
			if a, b := first.Results.Scenario.Name, s.Results.Scenario.Name; a != b {
				return fmt.Errorf("%s ran scenario %q and %s ran %q: shards of one run share their scenario", first.Path, a, s.Path, b)
			}
			return fmt.Errorf("%s and %s ran different versions of scenario %q (their overrides or files differ): shards of one run share their scenario", first.Path, s.Path, first.Results.Scenario.Name)
		}
	}
	var missing []string
	for i, p := range byIndex {
		if p == "" {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("shard %s of %d missing (got %d of them): merge every shard of the run", strings.Join(missing, ", "), n, len(shards))
	}
	// A cell one complete shard has and another lacks is not an
	// interruption: the shards disagree.
	for _, s := range shards {
		for _, c := range first.Results.Cells {
			if find(s.Results, c) == nil && s.Results.Complete {
				return fmt.Errorf("%s lacks cell %s although it is complete", s.Path, c.Label())
			}
		}
		if len(s.Results.Cells) > len(first.Results.Cells) && first.Results.Complete {
			return fmt.Errorf("%s has %d cells and %s %d", s.Path, len(s.Results.Cells), first.Path, len(first.Results.Cells))
		}
	}
	return nil
}

// find is r's cell of c's strategy, pool (or rate) and repeat (nil:
// none).
func find(r *results.Results, c results.Cell) *results.Cell {
	for i := range r.Cells {
		if x := &r.Cells[i]; x.Label() == c.Label() {
			return x
		}
	}
	return nil
}

// Cells merges the shards' measurements of one cell (the same strategy,
// pool and repeat, at the same time scale) into one.
func Cells(parts []*results.Cell) (results.Cell, error) {
	if len(parts) == 0 {
		return results.Cell{}, errors.New("no cells to merge")
	}
	f := parts[0]
	m := results.Cell{Strategy: f.Strategy, Pool: f.Pool, Rate: f.Rate, Repeat: f.Repeat, Started: f.Started, Ended: f.Ended}
	lat := results.NewLatencies()
	for _, c := range parts {
		if c.Label() != f.Label() {
			return m, fmt.Errorf("merging cell %s with cell %s", f.Label(), c.Label())
		}
		if c.Timescale != f.Timescale {
			return m, fmt.Errorf("cell %s ran at %s in one shard and %s in another", f.Label(), f.Timescale, c.Timescale)
		}
		if c.Started.IsZero() || c.Ended.IsZero() {
			return m, fmt.Errorf("cell %s does not say when it started and ended (written by a poolbench before shards)", c.Label())
		}
		m.Items += c.Items
		m.Succeeded += c.Succeeded
		m.Failed += c.Failed
		m.Attempts += c.Attempts
		m.Reconnects += c.Reconnects
		m.Connections += c.Connections
		m.Failures = add(m.Failures, c.Failures)
		m.Outcomes = add(m.Outcomes, c.Outcomes)
		m.Interrupted = m.Interrupted || c.Interrupted
		if c.Started.Before(m.Started) {
			m.Started = c.Started
		}
		if c.Ended.After(m.Ended) {
			m.Ended = c.Ended
		}
		m.Harness = worse(m.Harness, c.Harness)
		m.Schedule = addSchedule(m.Schedule, c.Schedule)
		l, err := results.CellLatencies(c)
		if err != nil {
			return m, err
		}
		if err := lat.Merge(l); err != nil {
			return m, fmt.Errorf("cell %s: %w", c.Label(), err)
		}
	}
	m.SetWall(m.Ended.Sub(m.Started).Seconds(), f.Timescale)
	m.Latency = lat.Percentiles(f.Timescale)
	h, err := lat.Encode()
	if err != nil {
		return m, err
	}
	m.Histogram = h
	return m, nil
}

// addSchedule adds shard schedule b to a (nil: none yet): counts and
// rates add, percentiles take the worse.
func addSchedule(a, b *results.Schedule) *results.Schedule {
	if b == nil {
		return a
	}
	if a == nil {
		c := *b
		return &c
	}
	worst := func(x, y results.Percentiles) results.Percentiles {
		return results.Percentiles{Mean: max(x.Mean, y.Mean), P50: max(x.P50, y.P50), P90: max(x.P90, y.P90),
			P95: max(x.P95, y.P95), P99: max(x.P99, y.P99), Max: max(x.Max, y.Max)}
	}
	a.Started += b.Started
	a.Late += b.Late
	a.StartRate += b.StartRate
	a.IntendedRate += b.IntendedRate
	a.Uncorrected = worst(a.Uncorrected, b.Uncorrected)
	a.Lateness = worst(a.Lateness, b.Lateness)
	a.DeadlineSeconds = max(a.DeadlineSeconds, b.DeadlineSeconds)
	return a
}

// add adds the counts of b to a (a new map when a is nil).
func add(a, b map[string]int) map[string]int {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = make(map[string]int, len(b))
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		a[k] += b[k]
	}
	return a
}

// worse is the harness record the merged cell keeps: a shard's the rule
// flagged bound over one it did not, else the one with the larger
// estimated error. A merged cell is bound when any of its shards is.
func worse(a, b *results.Harness) *results.Harness {
	switch {
	case b == nil:
		return a
	case a == nil:
		return b
	case a.Bound != b.Bound:
		if b.Bound {
			return b
		}
		return a
	case b.Error > a.Error:
		return b
	}
	return a
}
