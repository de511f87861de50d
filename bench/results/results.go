// Package results is results.json: the record of one run of a scenario,
// the type every reader of a run meets at (report, compare, model), as
// vegeta's lib.Result is for its tools. It also holds the readings of a
// run every reader shares: the grouping of cells by strategy × pool with
// its medians (Groups), the recommended pool (Recommend), failure classes
// (FailureClass) and item-latency percentiles (Latencies).
//
// A field's meaning never changes under the same SchemaVersion.
package results

import (
	"github.com/poolbench/poolbench/internal/cpuload"

	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
)

// SchemaVersion is the version of results.json this package writes and
// reads.
const SchemaVersion = 1

// Results is results.json: one run of a scenario.
type Results struct {
	// Schema is SchemaVersion.
	Schema int `json:"schema"`
	// Scenario is the scenario as run, overrides applied.
	Scenario scenario.Scenario `json:"scenario"`
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
	// Calibration is this machine's cost per request, measured at the
	// start of the run (timescale auto, an external target; nil otherwise).
	Calibration *Calibration `json:"calibration,omitempty"`
	// Thresholds are the scenario's pass/fail criteria, checked
	// (CheckThresholds); absent when it sets none.
	Thresholds []Threshold `json:"thresholds,omitempty"`
	// Recommended is the pool Recommend picks from the measured cells (nil
	// when none could be picked).
	Recommended *Recommendation `json:"recommended,omitempty"`
	// Predicted is true for the model's predictions (poolbench predict
	// -json): no request was sent, every cell is the model's.
	Predicted bool `json:"predicted,omitempty"`
	// Shard is set when the run did one shard's share of every cell (run
	// -shard i/n): its cells' counts are that share's.
	Shard *Shard `json:"shard,omitempty"`
	// MergedShards is the number of shard runs poolbench merge added up
	// into these results (0: not a merge).
	MergedShards int `json:"merged_shards,omitempty"`
}

// Shard is one of Count processes sharing a run: it does items Index,
// Index+Count, Index+2·Count… of every cell.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Validate reports a shard whose index is not in 0..Count-1.
func (s Shard) Validate() error {
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard %d/%d: want an index from 0 to the count minus one, and a count of at least 1", s.Index, s.Count)
	}
	return nil
}

// Of is the number of items of total that shard s does.
func (s Shard) Of(total int) int {
	if s.Count <= 1 {
		return total
	}
	return max(total-s.Index+s.Count-1, 0) / s.Count
}

// Item is the index, among all of a cell's items, of the shard's k-th item.
func (s Shard) Item(k int) int { return s.Index + k*max(s.Count, 1) }

// String is "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Calibration is what a run measured of the harness before its cells,
// in wall seconds: the round trip an attempt costs beyond the upstream's
// time when both sides wake from idle (the mean, and the round trips one
// by one, absent in runs before they were recorded) and when requests
// follow each other back to back, the CPU per request (client and
// mock), and how late the mock's answers and the client's waits are. Client is the client path
// measured, the one the run's cells took: "fasthttp", "net/http" or
// "net/http h2" (absent in runs before it was recorded: fasthttp).
type Calibration struct {
	Client    string  `json:"client,omitempty"`
	RoundTrip float64 `json:"round_trip"`
	// IdleRoundTrips are the idle round trips one by one, in wall
	// seconds (absent in runs before they were recorded).
	IdleRoundTrips []float64 `json:"idle_round_trips,omitempty"`
	BusyRoundTrip  float64   `json:"busy_round_trip"`
	CPU            float64   `json:"cpu_per_request"`
	UpstreamLate   float64   `json:"upstream_late"`
	WaitLate       float64   `json:"wait_late"`
}

// Machine records the facts a reader needs to trust or compare a run.
type Machine struct {
	GoVersion   string `json:"go_version"`
	GOOS        string `json:"goos"`
	GOARCH      string `json:"goarch"`
	CPUs        int    `json:"cpus"`
	GitRevision string `json:"git_revision,omitempty"`
	// Poolbench is the version of poolbench that ran (Version).
	Poolbench string `json:"poolbench,omitempty"`
	// KeptAwake says the CPUs were kept from idling during the run (a
	// lowest-priority busy loop per CPU, poolbench run -keep-awake): the
	// harness's wake-ups were cheaper than on an idle machine.
	KeptAwake bool `json:"kept_awake,omitempty"`
	// Load is how busy the machine was with other work (absent where its
	// CPU counters cannot be read).
	Load *MachineLoad `json:"load,omitempty"`
}

// MachineLoad is how busy the machine was with work other than poolbench.
type MachineLoad struct {
	// Start: while the run calibrated, before its first cell.
	Start cpuload.Load `json:"start"`
	// Run: from the start of the run to its end.
	Run cpuload.Load `json:"run"`
}

// CurrentMachine describes the running process's machine.
func CurrentMachine() Machine {
	v := Version()
	return Machine{
		GoVersion:   runtime.Version(),
		GOOS:        runtime.GOOS,
		GOARCH:      runtime.GOARCH,
		CPUs:        runtime.NumCPU(),
		GitRevision: v.Revision,
		Poolbench:   v.String(),
	}
}

// BuildVersion is what the binary knows of its own version.
type BuildVersion struct {
	// Module is the module version ("v1.2.0", or "(devel)" for a build
	// from a checkout).
	Module string
	// Revision and Time are the VCS revision and its time, when known;
	// Modified is true for a build from a checkout with changes.
	Revision, Time string
	Modified       bool
}

// Version reads the running binary's build information.
func Version() BuildVersion {
	v := BuildVersion{Module: "(devel)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v.Module = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is "v1.2.0", or "(devel) 0a1b2c3d4e5f+dirty".
func (v BuildVersion) String() string {
	s := v.Module
	if v.Revision != "" {
		r := v.Revision
		if len(r) > 12 {
			r = r[:12]
		}
		s += " " + r
		if v.Modified {
			s += "+dirty"
		}
	}
	return s
}
