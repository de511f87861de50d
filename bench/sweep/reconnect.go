package sweep

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"

	"github.com/valyala/fasthttp"
)

// Servers close idle keep-alive connections without saying so (Node's
// keepAliveTimeout, Apache's KeepAliveTimeout, nginx's keepalive_timeout
// and keepalive_requests, any server that closes after an answer without
// "Connection: close"). A request the client then sends on such a
// connection meets an end of file or a reset before any byte of an
// answer: the server never saw it. The client re-sends it on another
// connection, as net/http's Transport does (persistConn.shouldRetryRequest)
// and with its rule:
//
//   - the connection had carried an exchange before (a new connection that
//     fails is the server's failure, and an attempt that failed);
//   - no byte of the answer had been read (after one byte, the server saw
//     the request);
//   - the connection ended (end of file, reset, broken pipe), not a
//     timeout or the run's own abort;
//   - the request may be sent twice: nothing of it had been written, or
//     its method is idempotent and safe to replay (GET, HEAD, OPTIONS,
//     TRACE) or it carries an Idempotency-Key or X-Idempotency-Key header.
//
// Such a re-send is not an attempt (the server answers it once, and counts
// it once): the cell counts it in Reconnects.

// trackedConn is a connection the client can close when its run is
// interrupted (fasthttp takes no context), and that knows how far its
// current exchange went. fasthttp's HostClient uses a connection for one
// exchange at a time; net/http's HTTP/2 transport reads and writes one from
// two goroutines, so the exchange fields are guarded by mu.
type trackedConn struct {
	net.Conn
	c    *client
	once sync.Once

	addr *connAddr // LocalAddr's answer, made once (fasthttp asks per exchange)

	mu        sync.Mutex
	exchanges int   // requests begun on the connection
	written   bool  // a byte of the current request was written
	answered  bool  // a byte of the current answer was read
	ioErr     error // the last read or write error
}

func (tc *trackedConn) Close() error {
	tc.once.Do(func() {
		tc.c.mu.Lock()
		delete(tc.c.conns, tc)
		tc.c.mu.Unlock()
	})
	return tc.Conn.Close()
}

func (tc *trackedConn) Write(p []byte) (int, error) {
	tc.mu.Lock()
	if tc.exchanges == 0 || tc.answered { // a new request
		tc.exchanges++
		tc.written, tc.answered = false, false
	}
	tc.mu.Unlock()
	n, err := tc.Conn.Write(p)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if n > 0 {
		tc.written = true
	}
	if err != nil {
		tc.ioErr = err
	}
	return n, err
}

func (tc *trackedConn) Read(p []byte) (int, error) {
	n, err := tc.Conn.Read(p)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if n > 0 {
		tc.answered = true
	}
	if err != nil {
		tc.ioErr = err
	}
	return n, err
}

// LocalAddr carries the connection to staleAware: fasthttp keeps it on
// the answer (Response.LocalAddr), whatever became of the exchange.
func (tc *trackedConn) LocalAddr() net.Addr { return tc.addr }

// connAddr is a connection's local address and the connection.
type connAddr struct {
	net.Addr
	tc *trackedConn
}

// stale reports whether the exchange that just failed had met a
// connection the server had closed before it, and may be sent again
// (the rule above) when replayable.
func (tc *trackedConn) stale(replayable bool) bool {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.exchanges < 2 || tc.answered || !closedByPeer(tc.ioErr) {
		return false
	}
	return replayable || !tc.written
}

// closedByPeer reports whether err says the other end closed the connection.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED)
}

// replayable reports whether a request may be sent twice (net/http's
// Request.isReplayable for a request whose body can be sent again).
func replayable(req *fasthttp.Request) bool {
	switch string(req.Header.Method()) {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return len(req.Header.Peek("Idempotency-Key")) > 0 || len(req.Header.Peek("X-Idempotency-Key")) > 0
}

// errStale marks an exchange that met a connection the server had closed.
type errStale struct{ err error }

func (e *errStale) Error() string {
	return "the server had closed the connection before the request: " + e.err.Error()
}
func (e *errStale) Unwrap() error { return e.err }

// staleAware is fasthttp's transport, which tells an exchange that met a
// closed connection (errStale, which the client re-sends) from one that
// failed (never re-sent: the scenario's retry policy decides).
type staleAware struct{}

func (staleAware) RoundTrip(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response) (bool, error) {
	_, err := fasthttp.DefaultTransport.RoundTrip(hc, req, resp)
	if err == nil {
		return false, nil
	}
	if a, ok := resp.LocalAddr().(*connAddr); ok && a.tc.stale(replayable(req)) {
		return true, &errStale{err}
	}
	return false, err
}

// resendIfStale is the HostClient's RetryIfErr: it re-sends what met a
// connection the server had closed, and counts it.
func (c *client) resendIfStale(_ *fasthttp.Request, _ int, err error) (resetTimeout, retry bool) {
	var s *errStale
	if !errors.As(err, &s) {
		return false, false
	}
	c.reconnects.Add(1)
	return false, true
}

func (c *client) track(conn net.Conn) net.Conn { return c.tracked(conn) }

func (c *client) tracked(conn net.Conn) *trackedConn {
	tc := &trackedConn{Conn: conn, c: c}
	tc.addr = &connAddr{conn.LocalAddr(), tc}
	c.mu.Lock()
	c.conns[tc] = struct{}{}
	c.dialed++
	c.mu.Unlock()
	return tc
}

// trackTLS tracks a TLS connection, whose handshake fasthttp then runs
// (it takes a connection with a Handshake method for one already TLS).
func (c *client) trackTLS(conn *tls.Conn) net.Conn { return tlsConn{c.tracked(conn), conn} }

// tlsConn is a tracked TLS connection.
type tlsConn struct {
	*trackedConn
	tls *tls.Conn
}

func (t tlsConn) Handshake() error { return t.tls.Handshake() }
