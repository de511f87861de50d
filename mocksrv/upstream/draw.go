package upstream

import (
	"math/rand/v2"
	"time"
)

// Fault is what happens to an admitted request besides its latency.
type Fault uint8

// The faults, drawn per request against ErrorRate, ResetRate and StallRate.
const (
	// FaultNone: answered 200 after the service time.
	FaultNone Fault = iota
	// FaultError: answered with ErrorStatus after the service time.
	FaultError
	// FaultReset: the connection is reset after the service time.
	FaultReset
	// FaultStall: no answer; the slot is freed after the service time and
	// the client hears nothing until it gives up.
	FaultStall
)

// Draw is one request's random choices.
type Draw struct {
	// Sample is the latency sample, model time, before contention.
	Sample time.Duration
	Fault  Fault
}

// Drawer draws the requests of one upstream: request number id (from 1, in
// arrival order) gets its latency sample and then, from one uniform number
// against the cumulative fault rates, its fault, both from PCG(Seed, id).
// The same seed and id give the same draw, whatever the order of the
// calls. A Drawer is not safe for concurrent use; it does not allocate.
type Drawer struct {
	lat    Latency
	seed   uint64
	faults [3]float64 // cumulative: error, +reset, +stall
	src    rand.PCG
	rnd    *rand.Rand
}

// NewDrawer returns the drawer of upstream c with latency lat (c's Latency
// parsed).
func NewDrawer(c Config, lat Latency) *Drawer {
	d := &Drawer{lat: lat, seed: c.Seed}
	d.faults[0] = c.ErrorRate
	d.faults[1] = d.faults[0] + c.ResetRate
	d.faults[2] = d.faults[1] + c.StallRate
	d.rnd = rand.New(&d.src)
	return d
}

// Draw returns request id's draw.
func (d *Drawer) Draw(id uint64) Draw {
	d.src.Seed(d.seed, id)
	x := Draw{Sample: d.lat.Sample(d.rnd)}
	switch u := d.rnd.Float64(); {
	case u < d.faults[0]:
		x.Fault = FaultError
	case u < d.faults[1]:
		x.Fault = FaultReset
	case u < d.faults[2]:
		x.Fault = FaultStall
	}
	return x
}
