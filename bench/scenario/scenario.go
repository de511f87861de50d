package scenario

import (
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Strategy names a client concurrency pattern.
type Strategy string

// The strategies poolbench runs. One item is one logical request, which may
// take several attempts.
const (
	// Serial sends one item at a time.
	Serial Strategy = "serial"
	// Pooled starts a goroutine per item, gated by a semaphore of size P
	// (the seed's asyncio.Semaphore).
	Pooled Strategy = "pooled"
	// Workers runs P workers pulling items from a queue (producer/consumer).
	Workers Strategy = "workers"
	// Unbounded sends every item at once (asyncio.gather, no semaphore).
	Unbounded Strategy = "unbounded"
	// Adaptive keeps a concurrency limit that adapts to the answers
	// (Sweep.Adaptive).
	Adaptive Strategy = "adaptive"
	// Rate starts items on a schedule, one cell per rate (Sweep.Rates,
	// Sweep.Rate): the open model.
	Rate Strategy = "rate"
)

// Strategies lists every strategy, in report order (bench/strategy's
// registry).
func Strategies() []Strategy {
	var out []Strategy
	for _, n := range strategy.Names() {
		out = append(out, Strategy(n))
	}
	return out
}

// StrategyList names every strategy as prose, "serial, pooled, workers or
// unbounded", for messages that say what is accepted.
func StrategyList() string { return strategy.List() }

// Kind is the strategy's description in bench/strategy (the zero Kind for
// an unknown name).
func (s Strategy) Kind() strategy.Kind {
	k, _ := strategy.Lookup(string(s))
	return k
}

// Rank is the strategy's place in report order (unknown strategies last).
func (s Strategy) Rank() int { return strategy.Rank(string(s)) }

// Pooled reports whether the strategy takes a pool size (pooled, workers).
func (s Strategy) Pooled() bool { return s.Kind().TakesPool }

// Rated reports whether the strategy runs once per rate (rate).
func (s Strategy) Rated() bool { return s.Kind().TakesRate }

// Competes reports whether the strategy's cells may be recommended.
func (s Strategy) Competes() bool { return s.Kind().Competes }

// Scenario is one benchmark: what to call, how, and which sweep to run.
// Scenario files (scenarios/*.yaml) are this struct in YAML; results.json
// carries it as run, in JSON.
//
// Durations are model durations; the time scale multiplies all of them
// (the upstream's and the client's) at run time.
type Scenario struct {
	// Name identifies the scenario; reports go to reports/<Name>/.
	Name string `yaml:"name" json:"name"`
	// Description says in a sentence or two what the scenario shows.
	Description string `yaml:"description" json:"description"`
	// Items is the number of logical requests each cell sends.
	Items int `yaml:"items" json:"items"`
	// Timescale multiplies every modeled duration at run time: a fixed
	// upstream.Scale (default 1, real time), or auto. Reports divide
	// measured time by the scale each cell ran at.
	Timescale Timescale `yaml:"timescale,omitempty" json:"timescale"`
	// ErrorBudget is the share of a cell's wall time the harness itself
	// may add (default 0.02): a cell whose measured harness error is
	// above it is flagged as measuring poolbench rather than the upstream,
	// and timescale auto picks scales that stay well within it.
	ErrorBudget float64 `yaml:"error_budget,omitempty" json:"error_budget,omitempty"`
	// Seed makes the client's random choices (backoff jitter) repeatable.
	Seed uint64 `yaml:"seed,omitempty" json:"seed,omitempty"`
	// KeepAwake, when true, keeps this machine's CPUs from idling while
	// the cells of an `upstream:` scenario run faster than real time (a
	// busy loop per CPU at the lowest priority, internal/awake), so the
	// harness's wake-ups cost less. Off by default: a run never spins a
	// user's CPUs unasked. run -keep-awake overrides it.
	KeepAwake bool `yaml:"keep_awake,omitempty" json:"keep_awake,omitempty"`
	// Upstream starts the mock in-process on 127.0.0.1 with this config.
	// Exactly one of Upstream and Target is set. Its own timescale must be
	// left unset: the scenario's applies.
	Upstream *upstream.Config `yaml:"upstream,omitempty" json:"upstream,omitempty"`
	// Target is an external upstream.
	Target *Target `yaml:"target,omitempty" json:"target,omitempty"`
	// Client configures the HTTP client and its retries.
	Client Client `yaml:"client,omitempty" json:"client"`
	// Clients is how many independent clients share the upstream and its
	// cap (default 1), as the machines of a fleet do: each has its own
	// connections and the cell's strategy and pool, and a cell's items
	// are dealt among them round-robin. A cell's pool is per client.
	Clients int `yaml:"clients,omitempty" json:"clients,omitempty"`
	// Sweep says which cells to run.
	Sweep Sweep `yaml:"sweep" json:"sweep"`
	// Thresholds are pass/fail criteria checked when the run ends, as k6
	// has them: metric → "OP VALUE" (see Criteria), and "cells": every
	// (default) or recommended. A run that crosses one exits 1.
	Thresholds map[string]string `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
}

// ClientCount is Clients, 1 when unset.
func (s *Scenario) ClientCount() int { return max(s.Clients, 1) }

// Target is an external upstream. Load goes to loopback addresses only,
// unless the run is given --allow-remote.
//
// URL, header values and Body may name environment variables as
// ${NAME}: they are expanded when the run starts, never stored (see
// package sweep).
type Target struct {
	// URL is the one request every item sends; exactly one of URL and
	// Targets is set.
	URL    string `yaml:"url,omitempty" json:"url,omitempty"`
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// Headers and Body are sent with URL; with Targets they are each
	// request's defaults, as vegeta's -header and -body are.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	Body    string            `yaml:"body,omitempty" json:"body,omitempty"`
	// Targets is a file of requests in vegeta's format (Format): item i
	// sends request i, cycling when the file holds fewer than items.
	Targets string `yaml:"targets,omitempty" json:"targets,omitempty"`
	// Format is the Targets file's format: http (default) or json, as
	// vegeta's -format.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// TLS configures https:// connections.
	TLS *TLS `yaml:"tls,omitempty" json:"tls,omitempty"`
	// HTTP is the protocol version: 1 (default, HTTP/1.1: a connection
	// per request in flight) or 2 (h2 by ALPN over https://, h2c with
	// prior knowledge over http://: the requests in flight are streams
	// on one connection per host).
	HTTP int `yaml:"http,omitempty" json:"http,omitempty"`
}

// TLS configures the client side of https:// connections. File paths
// are PEM files.
type TLS struct {
	// CA is the certificate(s) the service's certificate must chain to
	// (default: the system's roots).
	CA string `yaml:"ca,omitempty" json:"ca,omitempty"`
	// Cert and Key are the client certificate and its key, for a service
	// that asks for one; both or neither.
	Cert string `yaml:"cert,omitempty" json:"cert,omitempty"`
	Key  string `yaml:"key,omitempty" json:"key,omitempty"`
	// InsecureSkipVerify accepts any certificate (curl -k).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	// ServerName is the name the certificate must hold and the SNI sent
	// (default: the URL's host).
	ServerName string `yaml:"server_name,omitempty" json:"server_name,omitempty"`
}

// Client configures the HTTP client every strategy uses.
type Client struct {
	// Timeout bounds one attempt (model time; default 30s).
	Timeout upstream.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// KeepAlive reuses connections (default true). false opens a new
	// connection per request, as aiohttp.request without a session does.
	KeepAlive *bool `yaml:"keepalive,omitempty" json:"keepalive,omitempty"`
	// Retry is the per-item retry policy.
	Retry Retry `yaml:"retry,omitempty" json:"retry"`
}

// Retry is the per-item retry policy.
type Retry struct {
	// MaxAttempts is the most attempts per item, the first included
	// (default 4, as in the seed).
	MaxAttempts int `yaml:"max_attempts,omitempty" json:"max_attempts,omitempty"`
	// On lists what is retried: "5xx", "429", "connect" (connection refused
	// or reset), "timeout". Default: all four.
	On []string `yaml:"on,omitempty" json:"on,omitempty"`
	// Backoff is "none" (default), "constant" or "exponential" (full jitter).
	Backoff string `yaml:"backoff,omitempty" json:"backoff,omitempty"`
	// Base is the constant delay, or the exponential backoff's first step.
	Base upstream.Duration `yaml:"base,omitempty" json:"base,omitempty"`
	// Max caps one backoff delay.
	Max upstream.Duration `yaml:"max,omitempty" json:"max,omitempty"`
	// RetryAfter waits as long as a Retry-After header asks, when set.
	RetryAfter bool `yaml:"retry_after,omitempty" json:"retry_after,omitempty"`
	// MaxWait caps any one wait between attempts, backoff or Retry-After
	// (default: the client's timeout), so a hostile Retry-After cannot
	// hold an item for an hour.
	MaxWait upstream.Duration `yaml:"max_wait,omitempty" json:"max_wait,omitempty"`
}

// Sweep is the grid of cells a run measures: every strategy × pool size ×
// repeat (serial and unbounded run once per repeat, whatever the pools).
type Sweep struct {
	Strategies []Strategy `yaml:"strategies" json:"strategies"`
	PoolSizes  []int      `yaml:"pool_sizes" json:"pool_sizes"`
	Repeats    int        `yaml:"repeats,omitempty" json:"repeats,omitempty"`
	// Parallel is how many cells run at once (default 1). Each cell has an
	// upstream of its own, so cells never share a cap; only `upstream:`
	// scenarios may run cells in parallel, never an external target.
	// Running cells side by side lets a sweep use a slower time scale
	// (less harness overhead per modeled second) in the same wall time.
	Parallel int `yaml:"parallel,omitempty" json:"parallel,omitempty"`
	// Adaptive configures the adaptive strategy's limit (bench/strategy:
	// algorithm aimd or vegas, initial, min, max, backoff_ratio); only
	// with adaptive among the strategies.
	Adaptive *strategy.AdaptiveConfig `yaml:"adaptive,omitempty" json:"adaptive,omitempty"`
	// Rates are the rate strategy's rates, one cell each, in model time
	// ("4/s", "1/2s": vegeta's -rate); only with rate among the
	// strategies, which needs them.
	Rates []strategy.ArrivalRate `yaml:"rates,omitempty" json:"rates,omitempty"`
	// Rate configures how the rate strategy paces its items (bench/strategy:
	// pacer constant, linear or sine, and their parameters; max_in_flight;
	// grace); only with rate among the strategies. WithDefaults fills it
	// in when rate runs.
	Rate *strategy.RateConfig `yaml:"rate,omitempty" json:"rate,omitempty"`
}

// StrategyConfig is what a cell of strategy pool size pool, rate rate and
// items items is built from (bench/strategy.Kind.New).
func (w Sweep) StrategyConfig(pool int, rate strategy.ArrivalRate, items int) strategy.Config {
	c := strategy.Config{Pool: pool, Items: items, Rate: rate}
	if w.Adaptive != nil {
		c.Adaptive = *w.Adaptive
	}
	if w.Rate != nil {
		c.Pacing = *w.Rate
	}
	c.Pacing = c.Pacing.WithDefaults(DefaultTimeout)
	return c
}
