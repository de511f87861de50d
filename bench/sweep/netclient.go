package sweep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// netClient sends a client's attempts through net/http's Transport: the
// path of a target with a targets file (requests to any host), an
// https:// URL or http: 2, and of the embedded mock over h2c (upstream
// http: 2). Plain http:// HTTP/1.1 to one URL, and the embedded mock over
// HTTP/1.1, stay on fasthttp (client.go). The calibration measures the
// path a run's cells take (calibrate.go).
//
// HTTP/2 is net/http's own (Transport.Protocols): h2 by ALPN over
// https://, h2c with prior knowledge over http://. The pool still bounds
// the requests in flight; over HTTP/2 they are streams on one connection
// per host while the server takes them: a request beyond what a
// connection may carry (the server's SETTINGS_MAX_CONCURRENT_STREAMS,
// nginx's 128 and Go's 250 by default, or 100 until the server has said)
// takes another connection, as Go's and vegeta's clients do by default,
// so the pool's requests are all at the server, over about ⌈pool /
// limit⌉ connections per host (the cell's Connections). Over HTTP/1.1 each
// request in flight has a connection of its own, at most the pool's size
// per host. Every connection is dialed through the client (its loopback
// check, its count, abort).
type netClient struct {
	rt      *http.Transport
	fixed   *request // the target's one request; nil: each attempt's own
	secrets *secrets
	warn    func(string)
	once    sync.Once
}

// newNetClient returns c's net/http path for reqs, dialing with d, at
// most conns connections per host.
func newNetClient(c *client, reqs *Requests, d *net.Dialer, conns int, warn func(string)) *netClient {
	var p http.Protocols
	if reqs.h2 {
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
		conns = 1
	} else {
		p.SetHTTP1(true)
	}
	rt := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return c.track(conn), nil
		},
		TLSClientConfig:     reqs.tls.Clone(),
		MaxConnsPerHost:     max(conns, 1),
		MaxIdleConnsPerHost: max(conns, 1),
		IdleConnTimeout:     idleConnFor,
		DisableKeepAlives:   c.close,
		DisableCompression:  true, // send the request as written, as curl does
		Protocols:           &p,
		// A request beyond the server's limit on concurrent streams takes
		// another connection rather than waiting for a stream, as gRPC's
		// clients do: net/http's StrictMaxConcurrentRequests stalls
		// requests until their timeout once more than a few wait
		// (golang/go#70809; TestRunHTTP2StreamLimit).
		HTTP2: &http.HTTP2Config{StrictMaxConcurrentRequests: false},
	}
	return &netClient{rt: rt, fixed: reqs.fixed, secrets: reqs.secrets, warn: warn}
}

// mockRequests is the net/http path's request to the embedded mock at
// url, over h2c when h2.
func mockRequests(url string, h2 bool) *Requests {
	return &Requests{fixed: &request{method: http.MethodGet, url: url, raw: url, header: http.Header{}}, secrets: newSecrets(nil), h2: h2, keyed: true}
}

// send makes one attempt of a.req (or the target's request) as
// client.send does, and returns the model Retry-After the answer asked
// for. draw, when not 0, keys the embedded mock's draw (a copy of the
// request's headers carries it). A certificate problem is said once, with
// what to do about it.
func (nc *netClient) send(ctx context.Context, c *client, clock *startClock, a *attempt, draw uint64) (retryAfter time.Duration) {
	req := a.req
	if req == nil {
		req = nc.fixed
	}
	*a = attempt{req: a.req, upstream: -1}
	a.seq, a.start = clock.stamp()
	actx, cancel := context.WithDeadline(ctx, a.start.Add(c.timeout))
	defer cancel()
	var body io.Reader
	if len(req.body) > 0 {
		body = bytes.NewReader(req.body)
	}
	var ra, mra string
	hr, err := http.NewRequestWithContext(actx, req.method, req.url, body)
	if err == nil {
		hr.Header = req.header // read only: a Transport does not modify a request
		if draw != 0 {
			hr.Header = req.header.Clone()
			if hr.Header == nil {
				hr.Header = make(http.Header, 1)
			}
			hr.Header[upstream.DrawHeader] = []string{strconv.FormatUint(draw, 10)}
		}
		if host := req.header.Get("Host"); host != "" {
			hr.Host = host // as vegeta does
		}
		hr.Close = c.close
		var resp *http.Response
		if resp, err = nc.rt.RoundTrip(hr); err == nil {
			a.code = uint16(min(resp.StatusCode, 65535))
			a.bytesIn, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ra, mra = resp.Header.Get("Retry-After"), resp.Header.Get("X-Mock-Retry-After")
			if c.t.mockTimes {
				a.upstream = mockTime(resp.Header.Get("X-Mock-Latency"), resp.Header.Get("X-Mock-Queue-Wait"))
			}
		}
	}
	a.latency = time.Since(a.start)
	if err != nil {
		a.err = err
		a.kind = classify(ctx, err)
		if hint := tlsHint(err); hint != "" && nc.warn != nil {
			nc.once.Do(func() { nc.warn(nc.secrets.redacted(fmt.Sprintf("TLS: %v: %s", err, hint))) })
		}
		return 0
	}
	if a.code == http.StatusTooManyRequests || a.code == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(mra, ra, c.scale)
	}
	return retryAfter
}

// closeIdle closes the idle connections.
func (nc *netClient) closeIdle() { nc.rt.CloseIdleConnections() }
