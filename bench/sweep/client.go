package sweep

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

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
	kindFDs
	nKinds
)

var kindOutcome = [nKinds]string{"", scenario.OutcomeConnect, scenario.OutcomeReset, scenario.OutcomeTimeout,
	scenario.OutcomeCanceled, scenario.OutcomeError, scenario.OutcomeFDLimit}

// attempt is one request sent.
type attempt struct {
	seq     uint64 // start order within the cell, from 0 (startClock)
	start   time.Time
	latency time.Duration
	// upstream is the time the embedded mock says it spent on the attempt
	// (its X-Mock-Queue-Wait and X-Mock-Latency), -1 when it said none or
	// the client does not read it (target.mockTimes).
	upstream time.Duration
	bytesIn  int64
	err      error
	code     uint16
	kind     uint8
	req      *request // the item's request from a targets file; nil: the target's
}

// startClock numbers a cell's attempts in the order they start, as
// vegeta's attacker does (under a lock there): a later seq never has an
// earlier start, since vegeta plot refuses a series whose timestamps go
// back in seq order. Lock-free: a stamp takes the time after it read the
// next number and keeps both only if no other took that number meanwhile,
// so every later number's time was taken after this one's.
type startClock struct{ next atomic.Uint64 }

// stamp is the next attempt's seq and start time.
func (s *startClock) stamp() (seq uint64, start time.Time) {
	for {
		seq = s.next.Load()
		start = time.Now()
		if s.next.CompareAndSwap(seq, seq+1) {
			return seq, start
		}
	}
}

// started is the number of attempts stamped.
func (s *startClock) started() uint64 { return s.next.Load() }

// outcome is the attempt's key in Cell.Outcomes: "200", "503", "reset"...
func (a *attempt) outcome() string {
	if a.kind == kindHTTP {
		return strconv.Itoa(int(a.code))
	}
	return kindOutcome[a.kind]
}

func (a *attempt) ok() bool { return a.kind == kindHTTP && a.code >= 200 && a.code < 300 }

// target is what a client calls.
type target struct {
	url, method, body string
	header            http.Header
	// mock: the target is the run's embedded mock, whose draws the
	// client keys (upstream.DrawHeader); never sent elsewhere.
	mock bool
	// mockTimes: read the time the mock says it spent on each attempt
	// (attempt.upstream), for the calibration; cells leave it off, as it
	// costs two header parses per attempt.
	mockTimes bool
	// net: send through net/http (netclient.go): tls, http 2 (the mock's
	// too) or a file.
	net *Requests
}

// client sends one cell's requests, each attempt on the calling goroutine
// (fasthttp's HostClient: no goroutine per connection, no hand-off per
// request, buffers pooled between requests).
type client struct {
	hc      *fasthttp.HostClient
	t       target
	tmpl    *fasthttp.Request // the target's request, built once; send copies it (read only)
	close   bool              // a new connection per request
	timeout time.Duration     // per attempt, wall
	scale   upstream.Scale
	retry   scenario.Retry
	waker   *waker // the waits between attempts; nil: Go timers
	nc      *netClient

	mu     sync.Mutex // guards conns and dialed
	conns  map[net.Conn]struct{}
	dialed int // connections opened

	// reconnects counts the requests re-sent on a new connection because
	// the one they were sent on had been closed by the server (reconnect.go).
	reconnects atomic.Int64
}

// newClient returns a client for t with the scenario's client settings at
// scale, sized for conns requests in flight (at least one connection).
// Unless allowRemote, it connects to loopback addresses only.
func newClient(t target, cl scenario.Client, scale upstream.Scale, conns int, allowRemote bool) (*client, error) {
	u, err := url.Parse(t.url)
	if err != nil {
		return nil, err
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	c := &client{t: t, close: !cl.KeepAliveOn(), timeout: scale.Wall(cl.Timeout.D()), scale: scale, retry: cl.Retry,
		conns: map[net.Conn]struct{}{}}
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if !allowRemote {
		d.Control = loopbackOnly
	}
	c.hc = &fasthttp.HostClient{
		Addr:                host,
		IsTLS:               u.Scheme == "https",
		TLSConfig:           &tls.Config{ServerName: u.Hostname()},
		MaxConns:            max(conns, 1),
		MaxConnWaitTimeout:  c.timeout, // never in practice: a cell has a connection per item in flight
		MaxIdleConnDuration: idleConnFor,
		// The scenario's retries are its own, counted as attempts; the
		// client re-sends only a request that met a connection the server
		// had closed (reconnect.go), once per connection the pool holds and
		// once on a new one at most.
		MaxIdemponentCallAttempts:     max(conns, 1) + 1,
		RetryIfErr:                    c.resendIfStale,
		Transport:                     staleAware{},
		ReadBufferSize:                4 << 10,
		WriteBufferSize:               1 << 10,
		StreamResponseBody:            true,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		NoDefaultUserAgentHeader:      true,
		Dial: func(addr string) (net.Conn, error) {
			conn, err := d.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			if c.hc.IsTLS { // tracked above TLS, where the exchange's bytes are
				return c.trackTLS(tls.Client(conn, c.hc.TLSConfig)), nil
			}
			return c.track(conn), nil
		},
	}
	if t.net != nil && t.net.keyed {
		c.nc = newNetClient(c, t.net, d, conns, t.net.warn)
	}
	c.tmpl = requestOf(t, c.close)
	return c, nil
}

// requestOf is t's request as every attempt sends it (an attempt adds its
// draw key): built once per client, so an attempt copies bytes instead of
// parsing the URL and walking the headers again.
func requestOf(t target, close bool) *fasthttp.Request {
	req := &fasthttp.Request{}
	req.SetRequestURI(t.url)
	req.Header.SetMethod(t.method)
	for k, vs := range t.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if t.body != "" {
		req.SetBodyString(t.body)
	}
	if close {
		req.SetConnectionClose()
	}
	req.URI() // parsed now, so that concurrent copies only read it
	return req
}

// idleConnFor is how long a connection may stay idle before the client
// closes it. fasthttp's cleaner, a goroutine per client, sleeps that long
// and ends once no connection is left: it outlives a cell by at most this.
const idleConnFor = 10 * time.Second

// abort closes every connection, cutting the attempts in flight short.
func (c *client) abort() {
	c.mu.Lock()
	conns := make([]net.Conn, 0, len(c.conns))
	for conn := range c.conns {
		conns = append(conns, conn)
	}
	c.mu.Unlock()
	for _, conn := range conns {
		conn.Close()
	}
}

// closeIdle closes the idle connections once a cell is over.
func (c *client) closeIdle() {
	c.hc.CloseIdleConnections()
	if c.nc != nil {
		c.nc.closeIdle()
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

// send makes one attempt, fills a (its seq and start from clock), and
// returns the model Retry-After the answer asked for (0 when none). draw,
// when not 0, keys the embedded mock's draw for the attempt
// (upstream.DrawHeader). ctx is the run's: when it is done (and abort has
// closed the connections), the attempt ends as canceled.
func (c *client) send(ctx context.Context, clock *startClock, a *attempt, draw uint64) (retryAfter time.Duration) {
	if c.nc != nil {
		return c.nc.send(ctx, c, clock, a, draw)
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	c.tmpl.CopyTo(req)
	if draw != 0 {
		var buf [20]byte
		req.Header.SetBytesV(upstream.DrawHeader, strconv.AppendUint(buf[:0], draw, 10))
	}
	*a = attempt{upstream: -1}
	a.seq, a.start = clock.stamp()
	err := c.hc.DoDeadline(req, resp, a.start.Add(c.timeout))
	if err == nil {
		a.code = uint16(min(resp.StatusCode(), math.MaxUint16))
		a.bytesIn, err = drain(resp)
	}
	a.latency = time.Since(a.start)
	if err != nil {
		a.err = err
		a.kind = classify(ctx, err)
		return 0
	}
	if c.t.mockTimes {
		a.upstream = mockTime(string(resp.Header.Peek("X-Mock-Latency")), string(resp.Header.Peek("X-Mock-Queue-Wait")))
	}
	if a.code == http.StatusTooManyRequests || a.code == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(string(resp.Header.Peek("X-Mock-Retry-After")), string(resp.Header.Peek("Retry-After")), c.scale)
	}
	return retryAfter
}

// mockTime is the queue wait plus service time an answer of the embedded
// mock reports (its X-Mock-Latency and X-Mock-Queue-Wait), -1 when it
// reports none.
func mockTime(latency, queueWait string) time.Duration {
	took, err1 := time.ParseDuration(latency)
	wait, err2 := time.ParseDuration(queueWait)
	if err1 != nil || err2 != nil {
		return -1
	}
	return took + wait
}

// drain reads the answer's body to its end and returns its length.
func drain(resp *fasthttp.Response) (int64, error) {
	body := resp.BodyStream()
	if body == nil {
		return int64(len(resp.Body())), nil
	}
	n, err := io.Copy(io.Discard, body)
	if cerr := resp.CloseBodyStream(); err == nil {
		err = cerr
	}
	return n, err
}

// classify names why an attempt got no answer.
func classify(run context.Context, err error) uint8 {
	var ne net.Error
	var oe *net.OpError
	switch {
	case run.Err() != nil:
		return kindCanceled
	case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE):
		return kindFDs
	case errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) || errors.As(err, &ne) && ne.Timeout():
		return kindTimeout
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, errNotLoopback) || errors.As(err, &oe) && oe.Op == "dial":
		return kindConnect
	case errors.Is(err, fasthttp.ErrConnectionClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed):
		return kindReset
	}
	return kindError
}

// maxRetryAfter bounds what parseRetryAfter returns (the retry policy's
// MaxWait then caps the wait itself).
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter returns, in model time, how long an answer asks the
// client to wait, at most maxRetryAfter. The mock's X-Mock-Retry-After
// (mock) carries the exact model duration ("1s") and wins; otherwise
// Retry-After (ra) is read as whole wall seconds (an HTTP date is not
// supported and ignored) and divided by the time scale.
func parseRetryAfter(mock, ra string, scale upstream.Scale) time.Duration {
	if mock != "" {
		if d, err := time.ParseDuration(mock); err == nil && d >= 0 {
			return min(d, maxRetryAfter)
		}
	}
	ra = strings.TrimSpace(ra)
	if ra == "" {
		return 0
	}
	s, err := strconv.ParseUint(ra, 10, 64)
	if errors.Is(err, strconv.ErrRange) { // more digits than a uint64 holds
		return maxRetryAfter
	}
	if err != nil {
		return 0
	}
	model := scale.ModelSeconds(float64(s))
	return time.Duration(min(model, maxRetryAfter.Seconds()) * float64(time.Second))
}

// wait waits d between attempts, on the sweep's waker when it has one; it
// reports whether it waited d, and how much longer than d it took.
func (c *client) wait(ctx context.Context, d time.Duration) (late time.Duration, ok bool) {
	if c.waker != nil {
		return c.waker.sleep(ctx, d)
	}
	return sleep(ctx, d)
}

// sleep waits d on a Go timer or until ctx is done; it reports whether
// it waited d, and how much longer than d it took. (A Go timer wakes up to
// a millisecond late: the runtime's poller sleeps in whole milliseconds.)
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

// fdLimitHint says what to do about running out of file descriptors.
func fdLimitHint() string {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		return fmt.Sprintf("the process ran out of file descriptors (ulimit -n is %d; each request in flight takes two, client and embedded mock): raise it with ulimit -n, or use a smaller pool", rl.Cur)
	}
	return "the process ran out of file descriptors: raise ulimit -n, or use a smaller pool"
}
