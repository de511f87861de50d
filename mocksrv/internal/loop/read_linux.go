//go:build linux

package loop

import (
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/poolbench/poolbench/mocksrv/internal/h1"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Reading requests as they arrive (package h1 frames them) and checking
// them as net/http's server does. A request is parsed only once its header
// block is whole; its body is consumed as it arrives (nothing of it is
// kept) and the request is dispatched when the body has ended. The
// requests load generators send take h1.ParseSimple's path, which does
// not allocate; the rest go through net/http's parser and the checks its
// server adds, so both engines refuse the same requests with the same
// status.

// phase is the part of a request being read.
type phase uint8

const (
	phaseHead phase = iota // the header block
	phaseBody              // the body
)

// reading is how far the request being read on a connection has got.
type reading struct {
	phase     phase
	scanned   int  // head: bytes searched for the blank line
	lineAt    int  // head: bytes of the request line checked so far
	lineOK    bool // head: the request line is whole and well formed
	afterPost bool // the last request was a POST (net/http skips CR LF after one)
	skipped   int  // CR and LF skipped since
	chunked   bool
	left      int64 // body by length: bytes still to come
	chunks    h1.Chunks
	sent100   bool // 100 Continue sent
	expect100 bool // the client waits for 100 Continue

	// What the request's dispatch needs once its body has arrived.
	method, path          []byte
	draw                  []byte // the Poolbench-Draw value, when one was sent
	close, http10, optAll bool   // optAll: OPTIONS *
}

// reading reports whether c may read a request now: between requests
// with nothing left to write.
func (c *conn) reading() bool {
	return c.state == connIdle && len(c.out) == 0 && !c.closeAfter && !c.lingering && !c.closed
}

// headerLimit is the largest header block the loop reads: net/http's
// server allows MaxHeaderBytes plus 4096 bytes of slack.
func (l *loop) headerLimit() int { return l.cfg.MaxHeaderBytes + 4096 }

// serve reads and starts the requests in c's input while c is between
// requests, then ends what can go no further: once the client has closed
// its side and all it sent is served, an idle connection is closed and a
// request queued or in service is canceled, as net/http cancels a
// handler's context when its client closes.
func (l *loop) serve(c *conn) {
	for c.reading() && c.in.Len() > 0 && l.step(c) {
	}
	switch {
	case c.closed || c.lingering:
	case len(c.out) > 0:
		l.interest(c) // flush comes back here once the answer is out
	case c.eof && c.state == connIdle:
		l.lingerClose(c) // what is left can never be a request
	case c.eof && c.in.Len() == 0:
		l.gone(c)
	default:
		l.interest(c)
	}
}

// step reads as much of the request in c's input as has arrived and
// starts it if it is whole. It reports whether to go on with the input.
func (l *loop) step(c *conn) bool {
	r := &c.read
	if r.phase == phaseBody {
		return l.body(c)
	}
	b := c.in.Bytes()
	if r.afterPost && r.scanned == 0 {
		for r.skipped < 4 && len(b) > 0 && (b[0] == '\r' || b[0] == '\n') {
			c.in.Consume(1)
			b, r.skipped = b[1:], r.skipped+1
		}
		if len(b) == 0 {
			return false
		}
		r.afterPost = false
	}
	if r.scanned == 0 {
		if s, ok := h1.ParseSimple(b, l.headerLimit()); ok {
			l.simple(c, s)
			return true
		}
	}
	end, next := h1.HeadEnd(b, r.scanned)
	if end < 0 {
		r.scanned = next
		switch {
		case len(b) > l.headerLimit():
			l.fail(c, http.StatusRequestHeaderFieldsTooLarge, "431 Request Header Fields Too Large")
		case !r.lineOK:
			st, at := h1.CheckRequestLine(b, r.lineAt)
			r.lineAt, r.lineOK = at, st == h1.LineOK
			if st == h1.LineBad {
				l.fail(c, http.StatusBadRequest, "400 Bad Request: malformed request line")
			}
		}
		return false
	}
	if end > l.headerLimit() {
		l.fail(c, http.StatusRequestHeaderFieldsTooLarge, "431 Request Header Fields Too Large")
		return false
	}
	if s, ok := h1.ParseSimple(b[:end], l.headerLimit()); ok {
		l.simple(c, s) // it trickled in
		return true
	}
	return l.header(c, b[:end])
}

// simple starts a request parseSimple read (no body).
func (l *loop) simple(c *conn, s h1.Simple) {
	c.in.Consume(s.Length) // s's bytes stay where they are until the next read
	c.requests++
	c.read = reading{afterPost: string(s.Method) == http.MethodPost, method: c.read.method, path: c.read.path, draw: c.read.draw}
	l.dispatch(c, s.Method, s.Path, s.Draw, s.Close, s.HTTP10)
}

// header reads a whole header block with net/http's parser and checks it as
// net/http's server does; then the body is read.
func (l *loop) header(c *conn, block []byte) bool {
	l.rd.Reset(block)
	l.br.Reset(&l.rd)
	req, err := http.ReadRequest(l.br)
	if err != nil {
		if msg := err.Error(); strings.HasPrefix(msg, "unsupported transfer encoding") || strings.HasPrefix(msg, "too many transfer encodings") {
			// net/http's server answers 501 to these (its error type is
			// not exported: its text is what there is to go by).
			l.fail(c, http.StatusNotImplemented, "Unsupported transfer encoding")
			return false
		}
		l.fail(c, http.StatusBadRequest, "400 Bad Request")
		return false
	}
	fail := func(status int, msg string) bool {
		l.fail(c, status, msg)
		return false
	}
	if req.ProtoMajor != 1 {
		return fail(http.StatusHTTPVersionNotSupported, "505 HTTP Version Not Supported: unsupported protocol version")
	}
	hosts := h1.HostHeaders(block)
	if req.ProtoAtLeast(1, 1) && len(hosts) == 0 && req.Method != http.MethodConnect || len(hosts) > 1 || len(hosts) == 1 && !httpguts.ValidHostHeader(hosts[0]) {
		return fail(http.StatusBadRequest, "400 Bad Request: missing, repeated or malformed Host header")
	}
	for name, values := range req.Header {
		if !httpguts.ValidHeaderFieldName(name) {
			return fail(http.StatusBadRequest, "400 Bad Request: invalid header name")
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fail(http.StatusBadRequest, "400 Bad Request: invalid header value")
			}
		}
	}
	r := &c.read
	if expect := req.Header["Expect"]; len(expect) > 0 {
		if !httpguts.HeaderValuesContainsToken(expect, "100-continue") {
			return fail(http.StatusExpectationFailed, "417 Expectation Failed")
		}
		r.expect100 = req.ProtoAtLeast(1, 1)
	}
	if req.ContentLength > int64(l.cfg.MaxRequestBody) {
		return fail(http.StatusRequestEntityTooLarge, "request body too large or unreadable")
	}
	c.in.Consume(len(block))
	c.requests++
	c.since = time.Now()
	r.phase, r.scanned, r.lineAt, r.lineOK = phaseBody, 0, 0, false
	r.chunked, r.left, r.chunks = req.ContentLength < 0, req.ContentLength, h1.Chunks{}
	r.method = append(r.method[:0], req.Method...)
	r.path = append(r.path[:0], req.URL.Path...)
	r.draw = r.draw[:0]
	if v := req.Header.Values(upstream.DrawHeader); len(v) == 1 {
		r.draw = append(r.draw, v[0]...)
	}
	r.http10 = !req.ProtoAtLeast(1, 1)
	r.optAll = req.RequestURI == "*" && req.Method == http.MethodOptions
	r.afterPost = req.Method == http.MethodPost
	// RFC 9112 §6.1: a request with both Transfer-Encoding and
	// Content-Length is read by its chunks (as net/http does), and its
	// connection closes after the answer: what follows cannot be trusted.
	r.close = req.Close || r.chunked && h1.HasField(block, "Content-Length")
	return l.body(c)
}

// body consumes what has arrived of the body; when it has ended, the
// request starts.
func (l *loop) body(c *conn) bool {
	r := &c.read
	if r.chunked {
		n, done, err := r.chunks.Feed(c.in.Bytes())
		c.in.Consume(n)
		switch {
		case r.chunks.Body() > int64(l.cfg.MaxRequestBody):
			l.fail(c, http.StatusRequestEntityTooLarge, "request body too large or unreadable")
			return false
		case err != nil:
			l.fail(c, http.StatusBadRequest, "400 Bad Request: "+err.Error())
			return false
		case !done:
			l.continue100(c)
			return false
		}
	} else {
		k := min(int64(c.in.Len()), r.left)
		c.in.Consume(int(k))
		if r.left -= k; r.left > 0 {
			l.continue100(c)
			return false
		}
	}
	done := *r
	c.read = reading{afterPost: done.afterPost, method: done.method[:0], path: done.path[:0], draw: done.draw[:0]}
	if done.optAll {
		// net/http's server answers OPTIONS * itself (200, no body, no
		// Content-Type); it never reaches the handler.
		c.closeAfter, c.head, c.http10 = done.close || l.draining, false, done.http10
		l.respond(c, http.StatusOK, nil, nil)
		return true
	}
	l.dispatch(c, done.method, done.path, done.draw, done.close, done.http10)
	return true
}

// continue100 tells a client that waits for it to send the body.
func (l *loop) continue100(c *conn) {
	if r := &c.read; r.expect100 && !r.sent100 {
		r.sent100 = true
		l.write(c, []byte("HTTP/1.1 100 Continue\r\n\r\n"))
	}
}
