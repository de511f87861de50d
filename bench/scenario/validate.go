package scenario

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Scenario defaults and limits.
const (
	// DefaultTimeout bounds one attempt when the client sets no timeout.
	DefaultTimeout = 30 * time.Second
	// MaxItems bounds a cell, so every load loop is bounded in count.
	MaxItems = 1_000_000
	// MaxPool bounds a pool size (in a sweep, and in the model's what-ifs).
	MaxPool = 10_000_000
	// MaxRepeats bounds the repeats of a sweep.
	MaxRepeats = 100
	// MaxClients bounds a fleet's clients (Scenario.Clients).
	MaxClients = 10_000
	// MaxParallel bounds how many cells run at once.
	MaxParallel = 16
	// MaxTimeout bounds one attempt's timeout (model time).
	MaxTimeout = time.Hour
	// DefaultErrorBudget is the harness's error budget when the scenario
	// sets none: below the 5% that the recommendation and compare's
	// threshold work at, so a cell within it cannot flip either.
	DefaultErrorBudget = 0.02
	// MaxErrorBudget bounds the error budget.
	MaxErrorBudget = 0.5
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// WithDefaults returns s with unset fields filled: a 30s attempt timeout,
// waits between attempts capped at the timeout, keep-alive on, the retry defaults (Retry.WithDefaults),
// one repeat, GET for a target, and the mock's own defaults for an
// upstream. Slices and maps are copied, so s is left untouched.
func (s Scenario) WithDefaults() Scenario {
	if s.Client.Timeout == 0 {
		s.Client.Timeout = upstream.Duration(DefaultTimeout)
	}
	if s.ErrorBudget == 0 {
		s.ErrorBudget = DefaultErrorBudget
	}
	if s.Client.KeepAlive == nil {
		t := true
		s.Client.KeepAlive = &t
	} else {
		v := *s.Client.KeepAlive
		s.Client.KeepAlive = &v
	}
	s.Client.Retry.On = slices.Clone(s.Client.Retry.On)
	s.Client.Retry = s.Client.Retry.WithDefaults()
	if s.Client.Retry.MaxWait == 0 {
		s.Client.Retry.MaxWait = s.Client.Timeout
	}
	if s.Sweep.Parallel == 0 {
		s.Sweep.Parallel = 1
	}
	if s.Sweep.Repeats == 0 {
		s.Sweep.Repeats = 1
	}
	s.Sweep.Strategies = slices.Clone(s.Sweep.Strategies)
	s.Sweep.PoolSizes = slices.Clone(s.Sweep.PoolSizes)
	s.Sweep.Rates = slices.Clone(s.Sweep.Rates)
	if s.Sweep.Rate != nil || slices.Contains(s.Sweep.Strategies, Rate) {
		var r strategy.RateConfig
		if s.Sweep.Rate != nil {
			r = *s.Sweep.Rate
		}
		r = r.WithDefaults(s.Client.Timeout.D())
		s.Sweep.Rate = &r
	}
	if s.Upstream != nil {
		u := s.Upstream.WithDefaults()
		u.Timescale = s.Upstream.Timescale // the scenario's timescale applies; Validate rejects one set here
		s.Upstream = &u
	}
	if s.Target != nil {
		t := *s.Target
		t.fillDefaults()
		if t.Headers != nil {
			h := make(map[string]string, len(t.Headers))
			for k, v := range t.Headers {
				h[k] = v
			}
			t.Headers = h
		}
		s.Target = &t
	}
	return s
}

// KeepAliveOn reports whether the client reuses connections (the default).
func (c Client) KeepAliveOn() bool { return c.KeepAlive == nil || *c.KeepAlive }

// HasPools reports whether the sweep runs a strategy that takes a pool size.
func (w Sweep) HasPools() bool {
	return slices.ContainsFunc(w.Strategies, Strategy.Pooled)
}

// Validate checks a scenario with its defaults filled (WithDefaults). A
// problem is a *FieldError naming the field and what is accepted.
func (s *Scenario) Validate() error {
	if !nameRE.MatchString(s.Name) {
		if s.Name == "" {
			return fieldErrorf("name", "missing: want a short name like my-service (it names the reports/<name>/ folder)")
		}
		return fieldErrorf("name", "%q is not accepted: want lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64 characters", s.Name)
	}
	if s.Items < 1 || s.Items > MaxItems {
		return fieldErrorf("items", "%d is out of range: want 1 to %d logical requests per cell", s.Items, MaxItems)
	}
	if err := s.Timescale.Fixed.Validate(); err != nil && !s.Timescale.Auto {
		return fieldErrorf("timescale", "%v, or auto", err)
	}
	if !(s.ErrorBudget > 0 && s.ErrorBudget <= MaxErrorBudget) {
		return fieldErrorf("error_budget", "%v is out of range: want a share above 0 and at most %v, like 0.02 for 2%%", s.ErrorBudget, MaxErrorBudget)
	}
	switch {
	case s.Upstream == nil && s.Target == nil:
		return fieldErrorf("", "neither upstream nor target is set: want exactly one (upstream: starts the mock in-process; target: calls an existing service)")
	case s.Upstream != nil && s.Target != nil:
		return fieldErrorf("target", "both upstream and target are set: want exactly one")
	case s.Upstream != nil:
		if s.Upstream.Timescale != 0 {
			return fieldErrorf("upstream.timescale", "must be left unset: the scenario's timescale applies to the upstream and the client alike")
		}
		if err := s.Upstream.Validate(); err != nil {
			return upstreamError(err)
		}
	default:
		if err := s.Target.validate(); err != nil {
			return prefixed("target", err)
		}
	}
	if err := s.Client.validate(); err != nil {
		return prefixed("client", err)
	}
	if s.Clients < 0 || s.Clients > MaxClients {
		return fieldErrorf("clients", "%d is out of range: want 1 to %d independent clients sharing the upstream", s.Clients, MaxClients)
	}
	if err := s.Sweep.validate(); err != nil {
		return prefixed("sweep", err)
	}
	if _, _, err := s.Criteria(); err != nil {
		return err
	}
	if s.Target != nil && !s.Timescale.Auto && s.Timescale.Fixed.Factor() != 1 {
		return fieldErrorf("timescale", "%s is not accepted with a target: an external service runs in real time, so its cells do too; leave timescale unset (or auto)", s.Timescale)
	}
	if s.Target != nil && s.Sweep.Parallel > 1 {
		return fieldErrorf("sweep.parallel", "%d is not accepted with a target: cells would share the external service and measure each other; want 1 (or use upstream:, where every cell gets a mock of its own)", s.Sweep.Parallel)
	}
	return nil
}

// upstreamError turns the first problem upstream.Config.Validate found
// into a FieldError under "upstream.", so Load can point at its line.
func upstreamError(err error) error {
	var fe *upstream.FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: "upstream." + fe.Field, Msg: fe.Msg}
	}
	return &FieldError{Field: "upstream", Msg: err.Error()}
}

func (c Client) validate() error {
	if c.Timeout <= 0 || c.Timeout.D() > MaxTimeout {
		return fieldErrorf("timeout", "%s is out of range: want a duration above 0 and at most %s", c.Timeout.D(), MaxTimeout)
	}
	if err := c.Retry.validate(); err != nil {
		return prefixed("retry", err)
	}
	return nil
}

func (w Sweep) validate() error {
	if len(w.Strategies) == 0 {
		return fieldErrorf("strategies", "missing: want a list of %s", strategyNames())
	}
	for i, st := range w.Strategies {
		if !slices.Contains(Strategies(), st) {
			return fieldErrorf(fmt.Sprintf("strategies[%d]", i), "unknown strategy %q: want any of %s", st, strategyNames())
		}
		if slices.Index(w.Strategies, st) != i {
			return fieldErrorf(fmt.Sprintf("strategies[%d]", i), "%q is listed twice", st)
		}
	}
	if w.Adaptive != nil {
		if !slices.Contains(w.Strategies, Adaptive) {
			return fieldErrorf("adaptive", "is set but strategies has no adaptive: add adaptive to strategies, or remove this block")
		}
		if field, err := w.Adaptive.WithDefaults().Check(); err != nil {
			return fieldErrorf("adaptive."+field, "%v", err)
		}
	}
	if err := w.validateRates(); err != nil {
		return err
	}
	if w.HasPools() && len(w.PoolSizes) == 0 {
		return fieldErrorf("pool_sizes", "missing: pooled and workers need pool sizes, like [1, 2, 4, 8]")
	}
	for i, p := range w.PoolSizes {
		if p < 1 || p > MaxPool {
			return fieldErrorf(fmt.Sprintf("pool_sizes[%d]", i), "%d is out of range: want 1 to %d", p, MaxPool)
		}
		if slices.Index(w.PoolSizes, p) != i {
			return fieldErrorf(fmt.Sprintf("pool_sizes[%d]", i), "%d is listed twice", p)
		}
	}
	if w.Repeats < 1 || w.Repeats > MaxRepeats {
		return fieldErrorf("repeats", "%d is out of range: want 1 to %d", w.Repeats, MaxRepeats)
	}
	if w.Parallel < 1 || w.Parallel > MaxParallel {
		return fieldErrorf("parallel", "%d is out of range: want 1 to %d cells at once", w.Parallel, MaxParallel)
	}
	return nil
}

// validateRates checks the rates and the rate block: both only with the
// rate strategy, which needs rates, none twice.
func (w Sweep) validateRates() error {
	rated := slices.Contains(w.Strategies, Rate)
	switch {
	case !rated && len(w.Rates) > 0:
		return fieldErrorf("rates", "are set but strategies has no rate: add rate to strategies, or remove rates")
	case rated && len(w.Rates) == 0:
		return fieldErrorf("rates", "missing: strategy rate needs rates in model time, like [1/s, 2/s, 4/s]")
	}
	for i, r := range w.Rates {
		if j := slices.IndexFunc(w.Rates, func(o strategy.ArrivalRate) bool { return o.PerSecond() == r.PerSecond() }); j != i {
			return fieldErrorf(fmt.Sprintf("rates[%d]", i), "%s is listed twice (%s)", r, w.Rates[j])
		}
	}
	if w.Rate == nil {
		return nil
	}
	if !rated {
		return fieldErrorf("rate", "is set but strategies has no rate: add rate to strategies, or remove this block")
	}
	if field, err := w.Rate.Check(w.Rates); err != nil {
		return fieldErrorf("rate."+field, "%v", err)
	}
	return nil
}

func strategyNames() string {
	all := Strategies()
	s := make([]string, len(all))
	for i, st := range all {
		s[i] = string(st)
	}
	return quoteList(s)
}

// ErrRemote is wrapped by CheckTarget when a target is not a loopback
// address.
var ErrRemote = errors.New("target is not a loopback address")

// CheckTarget refuses a target whose host is not a loopback address:
// an IP in 127.0.0.0/8 or ::1, or a name whose every resolved address is
// one (a name is not trusted for what it says). poolbench sends load to
// this machine only, unless the caller allows remote targets. (The
// sweep's dialer checks every connection's address again.)
// A target with a Targets file has its requests checked as they are
// read, with CheckURL.
func CheckTarget(ctx context.Context, t *Target) error {
	if t.URL == "" {
		return nil
	}
	return CheckURL(ctx, t.URL)
}

// CheckURL refuses a URL whose host is not a loopback address, as
// CheckTarget does.
func CheckURL(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	return checkHost(ctx, u.Hostname(), net.DefaultResolver.LookupIPAddr)
}

// checkHost refuses host unless it is, or resolves with lookup only to,
// loopback addresses.
func checkHost(ctx context.Context, host string, lookup func(context.Context, string) ([]net.IPAddr, error)) error {
	refuse := func(what string) error {
		return fmt.Errorf("%w: %s (poolbench sends load to 127.0.0.0/8 and ::1 only; pass -allow-remote to load a service you own)", ErrRemote, what)
	}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return refuse(host)
		}
		return nil
	}
	addrs, err := lookup(ctx, host)
	if err != nil {
		return refuse(fmt.Sprintf("%s could not be resolved to check it (%v)", host, err))
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return refuse(fmt.Sprintf("%s resolves to %s", host, a.IP))
		}
	}
	if len(addrs) == 0 {
		return refuse(host + " resolves to no address")
	}
	return nil
}
