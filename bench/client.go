package bench

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Attempt kinds: an HTTP answer (its status in code) or why there was none.
const (
	kindHTTP uint8 = iota
	kindConnect
	kindReset
	kindTimeout
	kindCanceled
	kindError
)

var kindOutcome = [...]string{"", OutcomeConnect, OutcomeReset, OutcomeTimeout, OutcomeCanceled, OutcomeError}

// attempt is the record of one request sent, kept compact on the hot path
// and turned into a vegeta Result after the cell.
type attempt struct {
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

// item is one logical request: its attempts and how it ended.
type item struct {
	attempts []attempt // a window of the cell's backing array, len = attempts made
	latency  time.Duration
	started  bool
	ok       bool
}

// client sends one cell's requests.
type client struct {
	tr      *http.Transport
	url     string
	method  string
	header  http.Header
	body    string
	tmpl    *http.Request // built by prepare; each attempt sends a shallow copy
	timeout time.Duration // scaled
	scale   float64
	retry   Retry
	seed    uint64
}

// newTransport returns a transport sized for pool requests in flight
// (pool 0: unbounded, items at most).
func newTransport(pool, items int, keepAlive bool) *http.Transport {
	idle := pool
	if pool <= 0 {
		idle = items
	}
	idle = max(idle, 2)
	return &http.Transport{
		Proxy: nil, // load goes straight to the target, never through a proxy
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          0, // no overall limit
		MaxIdleConnsPerHost:   idle,
		MaxConnsPerHost:       0,
		IdleConnTimeout:       90 * time.Second,
		DisableKeepAlives:     !keepAlive,
		DisableCompression:    true,
		ResponseHeaderTimeout: 0, // the attempt's context bounds it
		ForceAttemptHTTP2:     false,
	}
}

// do runs item it to its end: attempts with retries and backoff. ctx is the
// run's context; canceling it ends the item as canceled.
func (c *client) do(ctx context.Context, it *item, index int) {
	it.started = true
	first := time.Now()
	var rnd *rand.Rand
	n := 0
	for {
		a := &it.attempts[:n+1][n]
		n++
		it.attempts = it.attempts[:n]
		retryAfter := c.send(ctx, a)
		if a.ok() {
			it.ok = true
			break
		}
		if a.kind == kindCanceled || n >= c.retry.MaxAttempts || !c.retry.Retries(a.outcome()) {
			break
		}
		if c.retry.Backoff == BackoffExponential && rnd == nil {
			rnd = rand.New(rand.NewPCG(c.seed, uint64(index)))
		}
		wait := time.Duration(float64(c.retry.Delay(n, rnd, retryAfter)) * c.scale)
		if wait > 0 && !sleep(ctx, wait) {
			break
		}
	}
	it.latency = time.Since(first)
}

// sleep waits d or until ctx is done; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// prepare builds the request template every attempt copies, so the hot
// path neither parses the URL nor allocates headers.
func (c *client) prepare() error {
	req, err := http.NewRequestWithContext(context.Background(), c.method, c.url, nil)
	if err != nil {
		return err
	}
	if c.header != nil {
		req.Header = c.header // read-only for the transport; shared by every attempt
	}
	c.tmpl = req
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
	a.start = time.Now()
	resp, err := c.tr.RoundTrip(req)
	if err == nil {
		var n int64
		n, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		a.bytesIn = n
		a.code = uint16(resp.StatusCode)
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
	if errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &oe) && oe.Op == "dial") {
		return kindConnect
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE) || strings.Contains(err.Error(), "server closed") {
		return kindReset
	}
	return kindError
}

// parseRetryAfter returns, in model time, how long an answer asks the
// client to wait. The mock's X-Mock-Retry-After carries the exact model
// duration ("1s") and wins; otherwise Retry-After is read as whole wall
// seconds (an HTTP date is not supported and ignored) and divided by the
// time scale.
func parseRetryAfter(h http.Header, scale float64) time.Duration {
	if v := h.Get("X-Mock-Retry-After"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			return d
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	s, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(float64(s) * float64(time.Second) / scale)
}
