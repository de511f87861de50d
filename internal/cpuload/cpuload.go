// Package cpuload measures how busy the machine is with work other than
// this process: the CPUs' worth of time other processes ran, and the time
// the hypervisor stole, between two samples.
//
// A sample reads the machine's CPU counters (/proc/stat on Linux) and
// this process's own CPU time (getrusage), with that of the child
// processes it names as its own (/proc/PID/stat: the keep-awake spinner).
// The difference of two samples is a Load: what every CPU spent running
// something, less what this process and those children spent, over the
// wall time between them. On systems without
// /proc/stat, Take reports ErrUnsupported and no Load is made.
package cpuload

import (
	"errors"
	"time"
)

// ErrUnsupported is returned by Take where the machine's CPU counters
// cannot be read.
var ErrUnsupported = errors.New("cpuload: the machine's CPU counters cannot be read here")

// Sample is the machine's and this process's CPU counters at one instant.
type Sample struct {
	at    time.Time
	busy  time.Duration // all CPUs, running anything but idle, iowait and steal
	steal time.Duration
	self  time.Duration // this process and the children named its own, user + system
}

// Load is how busy the machine was between two samples.
type Load struct {
	// Seconds is the wall time between the samples.
	Seconds float64 `json:"seconds"`
	// OtherCPUs is the CPUs' worth of time other processes ran (1.9: nearly
	// two CPUs busy with other work). Never below zero.
	OtherCPUs float64 `json:"other_cpus"`
	// StealCPUs is the CPUs' worth of time the hypervisor gave to other
	// machines.
	StealCPUs float64 `json:"steal_cpus"`
}

// Since is the load between an earlier sample s0 and s.
func (s Sample) Since(s0 Sample) Load {
	wall := s.at.Sub(s0.at).Seconds()
	if wall <= 0 {
		return Load{}
	}
	others := (s.busy - s0.busy - (s.self - s0.self)).Seconds() / wall
	return Load{Seconds: wall, OtherCPUs: max(others, 0), StealCPUs: max((s.steal-s0.steal).Seconds()/wall, 0)}
}

// Busy reports whether other work held at least half a CPU, or the
// hypervisor stole at least a tenth of one: timing figures taken then
// carry the machine's load.
func (l Load) Busy() bool { return l.OtherCPUs >= 0.5 || l.StealCPUs >= 0.1 }
