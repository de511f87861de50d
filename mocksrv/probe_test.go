package mocksrv

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// The raw-socket probes from the issues, against both engines. Each
// expectation is what net/http's server does (the http engine is net/http
// with the mock as its handler), unless the case says otherwise.

// testLimits are short timeouts, so the timeout probes run quickly.
var testLimits = limits{readHeader: 300 * time.Millisecond, bodyRead: 300 * time.Millisecond, idle: 2 * time.Second}

// listenT serves cfg with engine e and the given limits until cleanup.
func listenT(t *testing.T, e Engine, cfg upstream.Config, lim limits) (*Server, *Running) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := listenEngine("", s, e, lim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s, r
}

// silent: no answer, the connection closes.
const silent = -1

// binary returns n bytes of deterministic noise without CR, and without LF
// unless withLF.
func binary(n int, withLF bool) string {
	r := rand.New(rand.NewPCG(7, 9))
	b := make([]byte, n)
	for i := range b {
		for b[i] = byte(r.IntN(256)); b[i] == '\r' || b[i] == '\n'; b[i] = byte(r.IntN(256)) {
		}
	}
	if withLF {
		b[n/2] = '\n'
	}
	return string(b)
}

var smuggle = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 45\r\n\r\nPOST /_mock/reset HTTP/1.1\r\nHost: x\r\n\r\n"

var probes = []struct {
	name   string
	send   []string      // written in turn, gap apart
	gap    time.Duration //
	status int           // of the first answer, or silent, on both engines
	within time.Duration // the answer or the close comes within this
}{
	{"smuggled reset behind a bad header name", []string{smuggle}, 0, 400, time.Second},
	{"space before the colon", []string{"GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n"}, 0, 400, time.Second},
	{"control byte in a header name", []string{"GET / HTTP/1.1\r\nHost: x\r\nX\x01A: b\r\n\r\n"}, 0, 400, time.Second},
	{"HTTP/2.0", []string{"GET / HTTP/2.0\r\nHost: x\r\n\r\n"}, 0, 505, time.Second},
	{"1 KiB of binary with LF, no CRLF", []string{binary(1024, true)}, 0, 400, time.Second},
	// net/http answers 400 at its header timeout (10 s), having waited
	// for the end of the line; the loop refuses a line with a control byte
	// at once (here the timeout is short, so both come within a second).
	{"1 KiB of binary without LF", []string{binary(1024, false)}, 0, 400, time.Second},
	{"request line trickling in", append([]string{"GET /"}, slices20("a")...), 50 * time.Millisecond, 400, 2 * time.Second},
	{"unsupported transfer encoding", []string{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"}, 0, 501, time.Second},
	{"two transfer encodings", []string{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"}, 0, 501, time.Second},
	{"bad chunk size", []string{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}, 0, 400, time.Second},
	{"chunk without its CRLF", []string{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY0\r\n\r\n"}, 0, 400, time.Second},
	{"silent connection", nil, 0, silent, time.Second},
	{"header trickling in", append([]string{"GET / HTTP/1.1\r\n"}, slices20("X-A: b\r\n")...), 50 * time.Millisecond, silent, 2 * time.Second},
	{"HTTP/2 preface", []string{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"}, 0, 505, time.Second},
	{"bare CR in a header value", []string{"GET / HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n"}, 0, 400, time.Second},
	{"bare CR ending a header line", []string{"GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\r\n\r\n"}, 0, 400, time.Second},
	{"CR alone ending every line", []string{"GET / HTTP/1.1\rHost: x\r\r"}, 0, 400, time.Second},
	{"bare CR in the request line", []string{"GET /\r HTTP/1.1\r\nHost: x\r\n\r\n"}, 0, 400, time.Second},
	{"declared body that never comes", []string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"}, 0, 408, time.Second},
	// Beyond MaxRequestBody: refused at once, as nginx does.
	{"2 MB declared body that never comes", []string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n"}, 0, 413, time.Second},
	{"body trickling in", append([]string{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"}, slices20("a")...), 50 * time.Millisecond, 408, 2 * time.Second},
}

func slices20(s string) []string {
	p := make([]string, 20)
	for i := range p {
		p[i] = s
	}
	return p
}

// TestProbes: the issues' raw-socket probes get the same answer from both
// engines (what net/http gives, 505 and 413 where the loop refuses first), and nothing after a refused request is served.
func TestProbes(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		s, r := listenT(t, e, upstream.Config{Latency: "0s"}, testLimits)
		c0, br0 := rawConn(t, r)
		send(t, c0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		readAnswer(t, br0, "GET")
		for _, p := range probes {
			want := p.status
			c, br := rawConn(t, r)
			start := time.Now()
			go func() {
				for _, piece := range p.send {
					if _, err := io.WriteString(c, piece); err != nil {
						return
					}
					time.Sleep(p.gap)
				}
			}()
			c.SetReadDeadline(start.Add(p.within))
			resp, err := http.ReadResponse(br, nil)
			switch {
			case want == silent && err == nil:
				t.Errorf("%s: %d, want no answer", p.name, resp.StatusCode)
			case want == silent && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET):
				t.Errorf("%s: %v after %v, want the connection closed within %v", p.name, err, time.Since(start), p.within)
			case want != silent && err != nil:
				t.Errorf("%s: %v after %v, want %d within %v", p.name, err, time.Since(start), want, p.within)
			case want != silent && resp.StatusCode != want:
				t.Errorf("%s: %d, want %d", p.name, resp.StatusCode, want)
			case want != silent:
				io.Copy(io.Discard, resp.Body)
				wantClosed(t, c, br)
			}
		}
		if st := s.Stats(); st.Requests != 1 {
			t.Errorf("%d requests counted, want the first GET only (a refused request or one smuggled behind it was served)", st.Requests)
		}
	})
}

// TestTEWithCL: a request with both Transfer-Encoding and Content-Length
// is read by its chunks, answered, and its connection closed (RFC 9112
// §6.1), on both engines; a request pipelined behind it is not served.
func TestTEWithCL(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		s, r := listenT(t, e, upstream.Config{Latency: "0s"}, testLimits)
		c, br := rawConn(t, r)
		send(t, c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, _ := readAnswer(t, br, "POST")
		if resp.StatusCode != 200 || !resp.Close {
			t.Errorf("%d, close %v; want 200 and Connection: close", resp.StatusCode, resp.Close)
		}
		wantClosed(t, c, br)
		if st := s.Stats(); st.Requests != 1 {
			t.Errorf("%d requests, want 1", st.Requests)
		}
		// A plain chunked request keeps its connection.
		c, br = rawConn(t, r)
		send(t, c, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
		for _, m := range []string{"POST", "GET"} {
			if resp, _ := readAnswer(t, br, m); resp.StatusCode != 200 || resp.Close {
				t.Errorf("chunked %s: %d, close %v", m, resp.StatusCode, resp.Close)
			}
		}
	})
}

// TestHalfCloseAnswer: a client that sends a request and half-closes gets
// the real answer or nothing, never an empty answer, on both engines; the
// request counts as canceled when it gets nothing.
func TestHalfCloseAnswer(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		s, r := listenT(t, e, upstream.Config{Latency: "50ms"}, testLimits)
		c, br := rawConn(t, r)
		send(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		c.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			st := waitFor(t, s, "canceled", func(st Stats) bool { return st.Canceled == 1 })
			checkBalance(t, st.Counters)
			return
		}
		var a answer
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &a); err != nil || a.ID != 1 {
			t.Errorf("answer %d %q (%v), want the real answer or none", resp.StatusCode, b, err)
		}
	})
}

// TestBodyTimeout: a body arriving at 1 byte a second gets 408 once the
// body-read timeout has passed, and the request is not counted.
func TestBodyTimeout(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		s, r := listenT(t, e, upstream.Config{Latency: "0s"}, limits{readHeader: 5 * time.Second, bodyRead: 500 * time.Millisecond, idle: 5 * time.Second})
		c, _ := rawConn(t, r)
		br := bufio.NewReader(c)
		start := time.Now()
		send(t, c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
		go func() {
			for range 10 {
				if _, err := io.WriteString(c, "a"); err != nil {
					return
				}
				time.Sleep(time.Second)
			}
		}()
		resp, body := readAnswer(t, br, "POST")
		if took := time.Since(start); resp.StatusCode != 408 || took > 3*time.Second || !strings.Contains(body, "408") {
			t.Errorf("%d %q after %v, want 408 after the 500 ms timeout", resp.StatusCode, body, took)
		}
		if st := s.Stats(); st.Requests != 0 {
			t.Errorf("%d requests counted", st.Requests)
		}
	})
}

// TestSmallChunks: the largest body in 1-byte chunks (6 MiB of chunked
// encoding), written 250 bytes at a time, is read as net/http reads it
// (200) and without work growing with what arrived before each piece.
func TestSmallChunks(t *testing.T) {
	forEngines(t, func(t *testing.T, e Engine) {
		_, r := listenT(t, e, upstream.Config{Latency: "0s"}, defaultLimits())
		c, br := rawConn(t, r)
		c.SetDeadline(time.Now().Add(30 * time.Second))
		body := "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1\r\nx\r\n", MaxRequestBody) + "0\r\n\r\n"
		start := time.Now()
		go func() {
			for i := 0; i < len(body); i += 250 {
				if _, err := io.WriteString(c, body[i:min(i+250, len(body))]); err != nil {
					return
				}
			}
		}()
		resp, _ := readAnswer(t, br, "POST")
		if took := time.Since(start); resp.StatusCode != 200 || took > 20*time.Second {
			t.Errorf("%d after %v, want 200", resp.StatusCode, took)
		}
	})
}

// TestHTTPMaxConnsResets: with MaxConns, the http engine's overflow resets
// are resets, and each frees its connection's slot.
func TestHTTPMaxConnsResets(t *testing.T) {
	s, r := listenT(t, EngineHTTP, upstream.Config{Latency: "0s", ResetRate: 1, MaxConns: 1}, testLimits)
	for i := range 3 {
		c, br := rawConn(t, r)
		send(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, err := br.ReadByte(); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("connection %d: %v, want a reset", i, err)
		}
	}
	if st := s.Stats(); st.Reset != 3 {
		t.Errorf("%d resets, want 3", st.Reset)
	}
}
