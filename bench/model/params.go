package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Policy is the client's retry policy; scenario.Retry implements it, so the
// model retries exactly as the real clients do.
type Policy interface {
	// Retries reports whether an attempt that ended with outcome ("503",
	// "429", "500", "reset", "timeout") is retried.
	Retries(outcome string) bool
	// Delay is the model time to wait before the attempt after attempt
	// number attempt (1-based) failed; retryAfter is the upstream's
	// Retry-After (0 when it sent none).
	Delay(attempt int, rnd *rand.Rand, retryAfter time.Duration) time.Duration
}

// Params is everything one simulated cell depends on. Durations are model
// durations.
type Params struct {
	// Items is the number of logical requests.
	Items int
	// Upstream is the modeled mock; its Latency string is ignored in favour
	// of Latency, and its defaults (overflow queue, statuses, Retry-After)
	// are filled in. Attempt a of item i draws its latency sample and then
	// its fault from PCG(Upstream.Seed, upstream.DrawKey(i, a)), as the
	// mock draws for poolbench's client, which sends that key.
	Upstream upstream.Config
	// Latency is the upstream's latency distribution (Upstream.Latency
	// parsed).
	Latency upstream.Latency
	// Timeout bounds one attempt, from its start (connection setup
	// included) to its answer; 0 means none.
	Timeout time.Duration
	// KeepAlive false makes every attempt open a new connection, which
	// costs ConnectCost before the request reaches the upstream.
	KeepAlive bool
	// ConnectCost is the model time a new connection takes (default 0: on
	// loopback a connection costs well under the harness's timer
	// resolution; set it to model a remote service's handshake).
	ConnectCost time.Duration
	// RoundTrip is the network's round trip per attempt (default 0, as on
	// loopback): the request reaches the upstream RoundTrip/2 after it is
	// sent (after any connection cost) and its answer reaches the client
	// RoundTrip/2 after the upstream sends it. A what-if for a remote
	// service; the client timeout covers it.
	RoundTrip time.Duration
	// ReturnSpread adds to the return half of every attempt's round trip a
	// delay drawn uniformly from [0, ReturnSpread), from
	// PCG(SpreadSeed, upstream.DrawKey(item, attempt)) (default 0): a
	// what-if for a harness whose overhead varies from attempt to attempt,
	// which also breaks ties between answers sent at the same instant in
	// an order of its own, and, for a fleet, sends its clients' first
	// attempts in an order drawn from PCG(SpreadSeed, 0) (shuffleStart).
	ReturnSpread time.Duration
	SpreadSeed   uint64
	// HarnessCost is the model time the harness spends on each message
	// between client and upstream — every request on its way out, every
	// answer on its way back — one message at a time, first come first
	// served (default 0: none). A harness is a few threads on a few CPUs:
	// a burst of n requests reaches the upstream over n × HarnessCost, and
	// an answer the upstream sends during the burst reaches its client
	// after the burst, its slot free upstream meanwhile, so a request of
	// the burst can take it. This is the timing that decides how many
	// retries of a synchronised burst meet the cap's free slots, and it
	// grows with the burst, which a per-answer delay (ReturnSpread) does
	// not; the ranges simulate both (Spread).
	HarnessCost time.Duration
	// SendSpread delays every attempt's request, before the harness and
	// the network, by a time drawn uniformly from [0, SendSpread), from
	// its own stream of PCG(SpreadSeed, …) (default 0): the client's
	// wake-ups, which also put requests sent at one instant in an order
	// of their own (a real burst reaches the upstream in the order its
	// goroutines run, not item by item).
	SendSpread time.Duration
	// ServiceExtra is added to every service time, and WaitExtra to every
	// wait between attempts (default 0): what-ifs for an upstream that
	// answers late and a client whose waits wake late, as the harness
	// itself measures them (see HarnessError).
	ServiceExtra, WaitExtra time.Duration
	// Adaptive configures the adaptive strategy (nil: its defaults).
	Adaptive *strategy.AdaptiveConfig
	// Rate is a rate cell's rate, and Pacing how the rate strategy paces
	// it (nil: its defaults); the other strategies ignore both. A rate
	// cell's wake-ups come WaitExtra late, as the harness's timers do.
	Rate   strategy.ArrivalRate
	Pacing *strategy.RateConfig
	// MaxAttempts is the most attempts per item, the first included (≥ 1).
	MaxAttempts int
	// Retry decides what is retried and how long to wait; nil retries
	// nothing.
	Retry Policy
	// Seed drives the client's random choices: item number i (from 0, in
	// the order items start) draws its backoff jitter from PCG(Seed, i), as
	// poolbench's client does.
	Seed uint64
	// Clients is the number of independent clients that share the items
	// round robin and the upstream's cap, each with the cell's strategy
	// and its own pool (0 or 1: one client; see fleet.go).
	Clients int
}

// Concurrency is the number of items a strategy keeps in flight: 1 for
// serial, pool for pooled and workers, every item for unbounded; an error
// for a strategy whose limit adapts, which no closed formula covers.
func Concurrency(s scenario.Strategy, pool, items int) (int, error) {
	k, ok := strategy.Lookup(string(s))
	if !ok {
		return 0, fmt.Errorf("unknown strategy %q (want %s)", s, strategy.List())
	}
	conc, fixed, err := k.Fixed(pool, items)
	if err != nil {
		return 0, err
	}
	if !fixed {
		return 0, fmt.Errorf("strategy %s has no fixed concurrency", s)
	}
	return conc, nil
}

func (p *Params) validate() error {
	u := p.Upstream
	switch {
	case p.Items < 1:
		return fmt.Errorf("items must be at least 1, got %d", p.Items)
	case p.Latency == nil:
		return errors.New("no latency distribution")
	case p.MaxAttempts < 1 || p.MaxAttempts > math.MaxUint16:
		return fmt.Errorf("max attempts must be 1 to %d, got %d", math.MaxUint16, p.MaxAttempts)
	case p.Timeout < 0 || p.ConnectCost < 0 || p.RoundTrip < 0 || p.ServiceExtra < 0 || p.WaitExtra < 0 || p.ReturnSpread < 0 || p.HarnessCost < 0 || p.SendSpread < 0:
		return errors.New("timeout, connection cost, round trip and extras must not be negative")
	case checkClients(p.Clients) != nil:
		return checkClients(p.Clients)
	case u.Cap < 0 || u.QueueLimit < 0:
		return errors.New("cap and queue limit must not be negative")
	case u.ErrorRate < 0 || u.ResetRate < 0 || u.StallRate < 0 || u.ErrorRate+u.ResetRate+u.StallRate > 1:
		return fmt.Errorf("fault rates must be ≥ 0 and sum to at most 1 (error %g + reset %g + stall %g)", u.ErrorRate, u.ResetRate, u.StallRate)
	case u.StallRate > 0 && p.Timeout == 0:
		return errors.New("stall_rate needs a client timeout: a stalled request is answered only when the client gives up")
	}
	switch u.Overflow {
	case "", upstream.OverflowQueue, upstream.OverflowReject, upstream.OverflowReset:
	default:
		return fmt.Errorf("unknown overflow %q (want queue, reject or reset)", u.Overflow)
	}
	return nil
}
