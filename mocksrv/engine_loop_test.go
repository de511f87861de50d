//go:build linux

package mocksrv

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolbench/poolbench/internal/raceflag"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// listenLoopT serves cfg with the loop engine and shuts it down at cleanup.
func listenLoopT(t *testing.T, cfg upstream.Config) (*Server, *Running) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ListenEngine("", s, EngineLoop)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	})
	return s, r
}

// rawConn dials r and returns the connection and a reader of its answers.
func rawConn(t *testing.T, r *Running) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", r.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func send(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
}

// readAnswer reads one answer to a request with method and returns it with
// its body.
func readAnswer(t *testing.T, br *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading an answer: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading a body: %v", err)
	}
	return resp, string(b)
}

// wantClosed checks that the server closed the connection: the next read
// ends with end of file or a reset, not a timeout.
func wantClosed(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := br.ReadByte()
	if err == nil || !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("reading after the last answer: %v, want end of file or a reset", err)
	}
}

// maxInput is more than the loop ever buffers of one connection.
const maxInput = MaxHeaderBytes + 4096 + MaxRequestBody + 64<<10

// TestLoopPipelining: requests sent together are answered in order, HEAD
// without a body, and HTTP/1.0 or Connection: close end the connection.
func TestLoopPipelining(t *testing.T) {
	_, r := listenLoopT(t, upstream.Config{Latency: "uniform(1ms,5ms)", Seed: 3})
	c, br := rawConn(t, r)
	send(t, c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nHEAD /c HTTP/1.1\r\nHost: x\r\n\r\n")
	for i, method := range []string{"GET", "GET", "HEAD"} {
		resp, body := readAnswer(t, br, method)
		if resp.StatusCode != 200 || resp.Header.Get("X-Mock-Latency") == "" || resp.Header.Get("Date") == "" {
			t.Fatalf("answer %d: %d %v", i, resp.StatusCode, resp.Header)
		}
		if method == "HEAD" {
			if body != "" || resp.ContentLength <= 0 {
				t.Errorf("HEAD: body %q, length %d; want none, with the GET's length", body, resp.ContentLength)
			}
			continue
		}
		var a answer
		if err := json.Unmarshal([]byte(body), &a); err != nil || a.ID != uint64(i+1) {
			t.Errorf("answer %d: %q (%v), want id %d", i, body, err, i+1)
		}
	}
	send(t, c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp, _ := readAnswer(t, br, "GET"); resp.StatusCode != 200 || !resp.Close {
		t.Errorf("Connection: close: %d, close %v", resp.StatusCode, resp.Close)
	}
	wantClosed(t, c, br)

	c, br = rawConn(t, r)
	send(t, c, "GET / HTTP/1.0\r\n\r\n")
	if resp, _ := readAnswer(t, br, "GET"); resp.StatusCode != 200 {
		t.Errorf("HTTP/1.0: %d", resp.StatusCode)
	}
	wantClosed(t, c, br)
}

// TestLoopRequests: bodies by length or chunks, requests arriving in
// pieces, Expect: 100-continue, and bad input.
func TestLoopRequests(t *testing.T) {
	s, r := listenLoopT(t, upstream.Config{Latency: "1ms"})
	c, br := rawConn(t, r)
	send(t, c, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloPOST /y HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
	for i := range 2 {
		if resp, _ := readAnswer(t, br, "POST"); resp.StatusCode != 200 {
			t.Errorf("POST %d: %d", i, resp.StatusCode)
		}
	}
	for _, piece := range []string{"GET / HT", "TP/1.1\r\nHo", "st: x\r\n", "\r\n"} {
		send(t, c, piece)
		time.Sleep(5 * time.Millisecond)
	}
	if resp, _ := readAnswer(t, br, "GET"); resp.StatusCode != 200 {
		t.Errorf("a request in pieces: %d", resp.StatusCode)
	}
	send(t, c, "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 Continue") {
		t.Fatalf("Expect: 100-continue: %q %v", line, err)
	}
	br.ReadString('\n') // the blank line
	send(t, c, "abc")
	if resp, _ := readAnswer(t, br, "PUT"); resp.StatusCode != 200 {
		t.Errorf("after 100 Continue: %d", resp.StatusCode)
	}
	if st := s.Stats(); st.Requests != 4 || st.Completed != 4 {
		t.Errorf("stats %+v, want 4 requests completed", st.Counters)
	}

	for _, tt := range []struct {
		name, req string
		status    int
	}{
		{"garbage", "NONSENSE\r\n\r\n", 400},
		{"bad version", "GET / HTTP/9\r\n\r\n", 400},
		{"huge headers", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", (MaxHeaderBytes+4096)+10), 431},
		{"huge body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413},
		{"bad chunk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
	} {
		c, br := rawConn(t, r)
		send(t, c, tt.req)
		resp, _ := readAnswer(t, br, "GET")
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
		wantClosed(t, c, br)
	}
	if st := s.Stats(); st.Requests != 4 {
		t.Errorf("bad requests were counted: %+v", st.Counters)
	}
}

// TestLoopBigAnswer: an answer larger than the socket buffers reaches a
// slow reader whole.
func TestLoopBigAnswer(t *testing.T) {
	_, r := listenLoopT(t, upstream.Config{Latency: "0s", BodyBytes: 8 << 20})
	c, br := rawConn(t, r)
	send(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(50 * time.Millisecond) // let the server fill the buffers
	for i := range 2 {
		_, body := readAnswer(t, br, "GET")
		var a answer
		if err := json.Unmarshal([]byte(body), &a); err != nil || len(a.Padding) != 8<<20 || a.ID != uint64(i+1) {
			t.Fatalf("answer %d: %d bytes, id %d, %v", i, len(body), a.ID, err)
		}
	}
}

// TestLoopClientLeaves: a client that closes its connection while its
// request is in service frees the slot; the request counts as canceled.
func TestLoopClientLeaves(t *testing.T) {
	s, r := listenLoopT(t, upstream.Config{Latency: "1h", Cap: 1})
	c, _ := rawConn(t, r)
	send(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, s, "in service", func(st Stats) bool { return st.InFlight == 1 })
	c.Close()
	st := waitFor(t, s, "canceled", func(st Stats) bool { return st.InFlight == 0 })
	if st.Canceled != 1 {
		t.Errorf("stats %+v, want 1 canceled", st.Counters)
	}
	checkBalance(t, st.Counters)
}

// TestLoopMaxConns: past MaxConns a connection waits to be accepted until
// another closes.
func TestLoopMaxConns(t *testing.T) {
	_, r := listenLoopT(t, upstream.Config{Latency: "0s", MaxConns: 1})
	c1, br1 := rawConn(t, r)
	send(t, c1, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	readAnswer(t, br1, "GET")
	c2, br2 := rawConn(t, r)
	send(t, c2, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c2.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := br2.ReadByte(); err == nil {
		t.Fatal("a second connection was served past MaxConns 1")
	}
	c2.SetReadDeadline(time.Now().Add(10 * time.Second))
	c1.Close()
	if resp, _ := readAnswer(t, br2, "GET"); resp.StatusCode != 200 {
		t.Errorf("after the first closed: %d", resp.StatusCode)
	}
}

// TestLoopShutdown: Shutdown answers requests in service before it
// returns; past its context it closes them (counted canceled).
func TestLoopShutdown(t *testing.T) {
	s, r := listenLoopT(t, upstream.Config{Latency: "200ms"})
	c, br := rawConn(t, r)
	send(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, s, "in service", func(st Stats) bool { return st.InFlight == 1 })
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if resp, _ := readAnswer(t, br, "GET"); resp.StatusCode != 200 || !resp.Close {
		t.Errorf("answer during shutdown: %d, close %v", resp.StatusCode, resp.Close)
	}
	if _, err := net.Dial("tcp", r.Addr.String()); err == nil {
		t.Error("a connection was accepted after Shutdown")
	}

	s, r = listenLoopT(t, upstream.Config{Latency: "1h"})
	c, br = rawConn(t, r)
	send(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, s, "in service", func(st Stats) bool { return st.InFlight == 1 })
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown past its context: %v", err)
	}
	wantClosed(t, c, br)
	st := s.Stats()
	if st.Canceled != 1 || st.InFlight != 0 {
		t.Errorf("stats %+v, want the request in service canceled", st.Counters)
	}
	checkBalance(t, st.Counters)
}

// TestBothEngines: one Server behind both engines shares its cap; a slot
// freed by one engine is granted to a request queued on the other.
func TestBothEngines(t *testing.T) {
	s, r := listenLoopT(t, upstream.Config{Latency: "50ms", Cap: 1})
	ts := httptest.NewServer(s)
	defer ts.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	results := make(chan int, 4)
	for i, url := range []string{ts.URL, r.URL, ts.URL, r.URL} {
		go func() {
			code, _, _, err := get(t.Context(), c, url)
			if err != nil {
				t.Error(err)
			}
			results <- code
		}()
		waitFor(t, s, "queued", func(st Stats) bool { return st.Requests == int64(i+1) })
	}
	for range 4 {
		if code := <-results; code != 200 {
			t.Errorf("status %d", code)
		}
	}
	st := s.Stats()
	if st.Completed != 4 || st.PeakInFlight != 1 || st.PeakQueued != 3 {
		t.Errorf("stats %+v, want 4 completed one at a time", st.Counters)
	}
	checkBalance(t, st.Counters)
}

// TestLoopHalfClose: a client that half-closes while its answer is still
// being written gets all of it.
func TestLoopHalfClose(t *testing.T) {
	const size = 16 << 20 // more than the socket buffers hold
	_, r := listenLoopT(t, upstream.Config{Latency: "0s", BodyBytes: size})
	c, br := rawConn(t, r)
	c.(*net.TCPConn).SetReadBuffer(64 << 10)
	send(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := br.Peek(1); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	if _, body := readAnswer(t, br, "GET"); len(body) < size {
		t.Errorf("%d bytes, want the whole answer", len(body))
	}
	wantClosed(t, c, br)

	// The same with the server's input full (it stopped reading) when
	// the client half-closes: the unread input must not turn the close
	// into a reset that discards the rest of the answer.
	c, br = rawConn(t, r)
	c.(*net.TCPConn).SetReadBuffer(64 << 10)
	go func() {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"+
			"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"+strings.Repeat("z", maxInput+200<<10))
		c.(*net.TCPConn).CloseWrite()
	}()
	time.Sleep(500 * time.Millisecond) // the client has half-closed
	if _, body := readAnswer(t, br, "GET"); len(body) < size {
		t.Errorf("input full: %d bytes, want the whole answer", len(body))
	}
}

// TestLoopServerChecks: what net/http's server refuses or answers itself,
// the loop refuses or answers the same way, without counting a request.
func TestLoopServerChecks(t *testing.T) {
	s, r := listenLoopT(t, upstream.Config{Latency: "0s"})
	for _, tt := range []struct {
		name, req, method string
		status            int
	}{
		{"no Host", "GET / HTTP/1.1\r\n\r\n", "GET", 400},
		{"bad Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "GET", 400},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n", "GET", 400},
		{"huge valid headers", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", (MaxHeaderBytes+4096)/8+1) + "\r\n", "GET", 431},
		{"headers within net/http's slack", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", (MaxHeaderBytes+3000)/8) + "\r\n", "GET", 200},
		{"CONNECT without Host", "CONNECT x:80 HTTP/1.1\r\n\r\n", "CONNECT", 200},
		{"Expect with more tokens", "GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue, x\r\n\r\n", "GET", 200},
		{"Host on a continuation line", "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", "GET", 400},
		{"unknown Expect", "GET / HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\n", "GET", 417},
		{"1-byte chunks past the body limit", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1\r\na\r\n", MaxRequestBody+1), "POST", 413},
		{"error after HEAD", "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nNONSENSE\r\n\r\n", "HEAD", 200},
	} {
		c, br := rawConn(t, r)
		go io.WriteString(c, tt.req) // may block past the input limit
		resp, _ := readAnswer(t, br, tt.method)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
		if tt.name == "error after HEAD" {
			if resp, body := readAnswer(t, br, "GET"); resp.StatusCode != 400 || body == "" {
				t.Errorf("%s: %d %q, want 400 with a body", tt.name, resp.StatusCode, body)
			}
		}
	}
	// OPTIONS * is answered by the server itself, after a 100 Continue;
	// the next request's Expect still gets its own 100 Continue.
	c, br := rawConn(t, r)
	send(t, c, "OPTIONS * HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n")
	if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("OPTIONS * with Expect: %q", line)
	}
	br.ReadString('\n')
	send(t, c, "x")
	if resp, body := readAnswer(t, br, "OPTIONS"); resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Type") != "" {
		t.Errorf("OPTIONS *: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	send(t, c, "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n")
	if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("Expect after OPTIONS *: %q", line)
	}
	br.ReadString('\n')
	send(t, c, "x")
	readAnswer(t, br, "PUT")
	// GET * is a request like any other to net/http's server with a plain
	// handler, as it is here.
	send(t, c, "GET * HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := readAnswer(t, br, "GET"); resp.StatusCode != 200 {
		t.Errorf("GET *: %d", resp.StatusCode)
	}
	// Counted: the HEAD, the headers within the slack, CONNECT, the Expect
	// with more tokens, the PUT and GET *.
	if st := s.Stats(); st.Requests != 6 {
		t.Errorf("requests %d, want 6", st.Requests)
	}

	c, br = rawConn(t, r)
	send(t, c, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	if resp, _ := readAnswer(t, br, "GET"); resp.Header.Get("Connection") != "keep-alive" || resp.Close {
		t.Errorf("HTTP/1.0 keep-alive: Connection %q, close %v", resp.Header.Get("Connection"), resp.Close)
	}
	send(t, c, "GET / HTTP/1.0\r\n\r\n")
	if resp, _ := readAnswer(t, br, "GET"); resp.StatusCode != 200 || !resp.Close {
		t.Errorf("HTTP/1.0 after keep-alive: %d, close %v", resp.StatusCode, resp.Close)
	}
	wantClosed(t, c, br)

	// A small-chunk body past the body limit behind a request in service
	// gets 413 once that one is answered.
	s2, r2 := listenLoopT(t, upstream.Config{Latency: "100ms"})
	c, br = rawConn(t, r2)
	go io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"+strings.Repeat("1\r\na\r\n", MaxRequestBody+1))
	if resp, _ := readAnswer(t, br, "GET"); resp.StatusCode != 200 {
		t.Errorf("the GET in front: %d", resp.StatusCode)
	}
	if resp, _ := readAnswer(t, br, "POST"); resp.StatusCode != 413 {
		t.Errorf("small chunks behind a request in service: %d, want 413", resp.StatusCode)
	}
	checkBalance(t, s2.Stats().Counters)
}

// TestLoopNoAllocs: the loop serves the usual request without allocating
// (the client below allocates nothing once warm either).
func TestLoopNoAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("the race detector allocates (sync.Pool drops items at random)")
	}
	_, r := listenLoopT(t, upstream.Config{Latency: "0s"})
	c, _ := rawConn(t, r)
	req := []byte("GET /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: wrk\r\n\r\n")
	buf := make([]byte, 4096)
	roundTrip := func() {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(buf); err != nil { // one answer fits in one read
			t.Fatal(err)
		}
	}
	for range 1000 {
		roundTrip()
	}
	const n = 5000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		roundTrip()
	}
	runtime.ReadMemStats(&after)
	if per := float64(after.Mallocs-before.Mallocs) / n; per > 0.05 {
		t.Errorf("%.2f allocations a request, want 0", per)
	}
}
