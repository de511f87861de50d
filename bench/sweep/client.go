package sweep

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Attempt kinds: an HTTP answer (its status in code) or why there was none.
const (
	kindHTTP uint8 = iota
	kindConnect
	kindReset
	kindTimeout
	kindCanceled
	kindError
	nKinds
)

var kindOutcome = [nKinds]string{"", scenario.OutcomeConnect, scenario.OutcomeReset, scenario.OutcomeTimeout, scenario.OutcomeCanceled, scenario.OutcomeError}

// attempt is one request sent.
type attempt struct {
	seq     uint64 // start order within the cell, from 0
	start   time.Time
	latency time.Duration
	bytesIn int64
	err     error
	code    uint16
	kind    uint8
}

// outcome is the attempt's key in Cell.Outcomes: "200", "503", "reset"...
func (a *attempt) outcome() string {
	if a.kind == kindHTTP {
		return strconv.Itoa(int(a.code))
	}
	return kindOutcome[a.kind]
}

func (a *attempt) ok() bool { return a.kind == kindHTTP && a.code >= 200 && a.code < 300 }

// client sends one cell's requests.
type client struct {
	tr      *http.Transport
	tmpl    *http.Request // each attempt sends a shallow copy
	body    string
	timeout time.Duration // per attempt, wall
	scale   upstream.Scale
	retry   scenario.Retry
}

// target is what a client calls.
type target struct {
	url, method, body string
	header            http.Header
}

// newClient returns a client for t with the scenario's client settings at
// scale, and a transport sized for pool requests in flight (0: unbounded,
// items at most). Unless allowRemote, it dials loopback addresses only.
func newClient(t target, cl scenario.Client, scale upstream.Scale, pool, items int, allowRemote bool) (*client, error) {
	req, err := http.NewRequestWithContext(context.Background(), t.method, t.url, nil)
	if err != nil {
		return nil, err
	}
	if t.header != nil {
		req.Header = t.header // read-only for the transport; shared by every attempt
	}
	return &client{
		tr:      newTransport(pool, items, cl.KeepAliveOn(), allowRemote),
		tmpl:    req,
		body:    t.body,
		timeout: scale.Wall(cl.Timeout.D()),
		scale:   scale,
		retry:   cl.Retry,
	}, nil
}

// newTransport returns a transport sized for pool requests in flight
// (pool 0: unbounded, items at most).
func newTransport(pool, items int, keepAlive, allowRemote bool) *http.Transport {
	idle := pool
	if pool <= 0 {
		idle = items
	}
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if !allowRemote {
		d.Control = loopbackOnly
	}
	return &http.Transport{
		Proxy:               nil, // load goes straight to the target, never through a proxy
		DialContext:         d.DialContext,
		MaxIdleConnsPerHost: max(idle, 2),
		IdleConnTimeout:     90 * time.Second,
		DisableKeepAlives:   !keepAlive,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// errNotLoopback is a dial refused because its address is not loopback.
var errNotLoopback = errors.New("refused to connect beyond loopback without -allow-remote")

// loopbackOnly refuses a connection to an address that is not loopback,
// whatever name resolved to it.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errNotLoopback
	}
	return nil
}

// send makes one attempt, fills a, and returns the model Retry-After the
// answer asked for (0 when none).
func (c *client) send(ctx context.Context, a *attempt) (retryAfter time.Duration) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req := c.tmpl.WithContext(actx)
	if c.body != "" {
		body := c.body
		req.Body = io.NopCloser(strings.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
	}
	*a = attempt{seq: a.seq, start: time.Now()}
	resp, err := c.tr.RoundTrip(req)
	if err == nil {
		var n int64
		n, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		a.bytesIn = n
		a.code = uint16(min(resp.StatusCode, math.MaxUint16))
		if err == nil {
			a.latency = time.Since(a.start)
			if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
				retryAfter = parseRetryAfter(resp.Header, c.scale)
			}
			return retryAfter
		}
	}
	a.latency = time.Since(a.start)
	a.err = err
	a.kind = classify(ctx, actx, err)
	return 0
}

// classify names why an attempt got no answer.
func classify(run, attemptCtx context.Context, err error) uint8 {
	switch {
	case run.Err() != nil:
		return kindCanceled
	case errors.Is(attemptCtx.Err(), context.DeadlineExceeded):
		return kindTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return kindTimeout
	}
	var oe *net.OpError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, errNotLoopback) || (errors.As(err, &oe) && oe.Op == "dial") {
		return kindConnect
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE) || strings.Contains(err.Error(), "server closed") {
		return kindReset
	}
	return kindError
}

// maxRetryAfter bounds what parseRetryAfter returns (the retry policy's
// MaxWait then caps the wait itself).
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter returns, in model time, how long an answer asks the
// client to wait, at most maxRetryAfter. The mock's X-Mock-Retry-After
// carries the exact model duration ("1s") and wins; otherwise Retry-After
// is read as whole wall seconds (an HTTP date is not supported and
// ignored) and divided by the time scale.
func parseRetryAfter(h http.Header, scale upstream.Scale) time.Duration {
	if v := h.Get("X-Mock-Retry-After"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			return min(d, maxRetryAfter)
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	s, err := strconv.ParseUint(v, 10, 64)
	if errors.Is(err, strconv.ErrRange) { // more digits than a uint64 holds
		return maxRetryAfter
	}
	if err != nil {
		return 0
	}
	model := scale.ModelSeconds(float64(s))
	return time.Duration(min(model, maxRetryAfter.Seconds()) * float64(time.Second))
}

// sleep waits d on a Go timer or until ctx is done; it reports whether
// it waited d, and how much longer than d it took. (A Go timer wakes up to
// a millisecond late: the runtime's poller sleeps in whole milliseconds.
// Arming early and spinning buys little against that spread, so the
// lateness is measured, and the harness's error accounts for it.)
func sleep(ctx context.Context, d time.Duration) (late time.Duration, ok bool) {
	start := time.Now()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return max(time.Since(start)-d, 0), true
	case <-ctx.Done():
		return 0, false
	}
}
