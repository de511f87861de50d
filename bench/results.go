package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// SchemaVersion is the version of results.json this package writes. A
// field's meaning never changes under the same number.
const SchemaVersion = 1

// Results is results.json: one run of a scenario.
type Results struct {
	// Schema is SchemaVersion.
	Schema int `json:"schema"`
	// Scenario is the scenario as run, overrides applied.
	Scenario Scenario `json:"scenario"`
	// Machine describes where it ran.
	Machine Machine `json:"machine"`
	// Started and Finished bound the run, wall clock.
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Complete is false when the run was interrupted; Cells then holds what
	// was measured, and an interrupted cell says so itself.
	Complete bool `json:"complete"`
	// Cells holds one entry per strategy × pool × repeat, in run order.
	Cells []Cell `json:"cells"`
	// Recommended is the pool size the model recommends from the measured
	// cells (nil when none could be computed).
	Recommended *Recommendation `json:"recommended,omitempty"`
}

// Recommendation is the smallest pool within 5% of the best measured
// throughput without extra failures.
type Recommendation struct {
	Strategy Strategy `json:"strategy"`
	Pool     int      `json:"pool"`
	// Throughput is the recommended cell's median throughput (items per
	// model second); BestThroughput the best of any bounded cell.
	Throughput     float64 `json:"throughput"`
	BestThroughput float64 `json:"best_throughput"`
	// Reason says in words why, for the headline.
	Reason string `json:"reason"`
}

// Machine records the facts a reader needs to trust or compare a run.
type Machine struct {
	GoVersion   string `json:"go_version"`
	GOOS        string `json:"goos"`
	GOARCH      string `json:"goarch"`
	CPUs        int    `json:"cpus"`
	GitRevision string `json:"git_revision,omitempty"`
}

// Cell summarises one strategy × pool × repeat. Times are model seconds
// (measured seconds divided by the time scale) except WallSeconds.
type Cell struct {
	Strategy Strategy `json:"strategy"`
	// Pool is the concurrency limit: 1 for serial, 0 for unbounded.
	Pool   int `json:"pool"`
	Repeat int `json:"repeat"`

	Items     int `json:"items"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Attempts counts every request sent, first attempts and retries.
	Attempts int `json:"attempts"`
	// Failures counts failed items by their last error class, e.g.
	// "503 after 4 attempts".
	Failures map[string]int `json:"failures,omitempty"`
	// Outcomes counts attempts by outcome: "200", "503", "reset", "timeout"...
	Outcomes map[string]int `json:"outcomes,omitempty"`

	// WallSeconds is the measured wall time of the cell.
	WallSeconds float64 `json:"wall_seconds"`
	// ModelWallSeconds is WallSeconds divided by the time scale.
	ModelWallSeconds float64 `json:"model_wall_seconds"`
	// Throughput is items per model second.
	Throughput float64 `json:"throughput"`
	// Latency summarises per-item latency, first attempt to final answer,
	// in model seconds; exact over the cell's items.
	Latency Percentiles `json:"latency"`

	// Upstream holds the mock's counters for this cell (absent for an
	// external target).
	Upstream *upstream.Counters `json:"upstream,omitempty"`

	// PredictedWallSeconds is the model's prediction in model seconds, and
	// Efficiency is predicted / measured (both 0 when not predicted).
	PredictedWallSeconds float64 `json:"predicted_wall_seconds,omitempty"`
	Efficiency           float64 `json:"efficiency,omitempty"`

	// Interrupted is true when the run was stopped during this cell; items
	// not finished then are counted as failed ("canceled").
	Interrupted bool `json:"interrupted,omitempty"`
}

// Retries is the number of attempts beyond each item's first.
func (c Cell) Retries() int { return c.Attempts - c.Items }

// Label names the cell as requests.jsonl's Attack field does:
// "pooled/p=8/r=0".
func (c Cell) Label() string {
	return fmt.Sprintf("%s/p=%d/r=%d", c.Strategy, c.Pool, c.Repeat)
}

// Percentiles of item latency, in model seconds.
type Percentiles struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// CurrentMachine describes the running process's machine.
func CurrentMachine() Machine {
	m := Machine{
		GoVersion: runtime.Version(),
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				m.GitRevision = s.Value
			}
		}
	}
	return m
}

// ErrSchema is wrapped by ReadResults when a file has another schema.
var ErrSchema = errors.New("unsupported results schema")

// ReadResults reads a results.json file, or the results.json inside a
// directory.
func ReadResults(path string) (*Results, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "results.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a poolbench results file: %w", path, err)
	}
	if probe.Schema == nil {
		return nil, fmt.Errorf("%s: not a poolbench results file (no \"schema\" field)", path)
	}
	if *probe.Schema != SchemaVersion {
		return nil, fmt.Errorf("%s: %w %d (this poolbench reads schema %d)", path, ErrSchema, *probe.Schema, SchemaVersion)
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// WriteResults writes r as indented JSON to path, atomically: a temporary
// file in the same directory, then a rename.
func WriteResults(path string, r *Results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so readers never see a half-written file.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	// CreateTemp makes the file 0600; reports are meant to be shared.
	merr := f.Chmod(0o644)
	cerr := f.Close()
	if err := errors.Join(werr, merr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
