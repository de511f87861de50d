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

// Drawer draws the requests of one upstream: request key id gets its
// latency sample and then, from one uniform number against the cumulative
// fault rates, its fault, both from PCG(Seed, id). The same seed and id
// give the same draw, whatever the order of the calls. A request's key is
// DrawKey(item, attempt) when its client sends it (header DrawHeader:
// poolbench's own client, and bench/model, so that the mock and the model
// draw the same numbers for the same attempt whatever order the attempts
// arrive in), else its arrival number from 1. A Drawer is not safe for
// concurrent use; it does not allocate.
type Drawer struct {
	lat    Latency
	seed   uint64
	faults [3]float64 // cumulative: error, +reset, +stall
	src    rand.PCG
	rnd    *rand.Rand
}

// DrawHeader is the request header a client keys its draw with: the
// decimal DrawKey of the attempt. A request with none, or with anything
// but one such value, is drawn by its arrival number.
const DrawHeader = "Poolbench-Draw"

// attemptBits is how many low bits of a key number the attempt.
const attemptBits = 16

// DrawKey is the draw key of attempt number attempt (from 1, below 2^16)
// of item number item (from 0, in the order items start). Keys are never 0
// and never collide for such arguments.
func DrawKey(item, attempt int) uint64 {
	return uint64(item)<<attemptBits | uint64(attempt)&(1<<attemptBits-1)
}

// ParseDrawKey reads a DrawHeader value: 1 to 20 decimal digits, a
// non-zero uint64 (ok false otherwise).
func ParseDrawKey(b []byte) (key uint64, ok bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if key > (1<<64-1-d)/10 {
			return 0, false
		}
		key = key*10 + d
	}
	return key, key != 0
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

// Draw returns the draw of the request keyed id.
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
