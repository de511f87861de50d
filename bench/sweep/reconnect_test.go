package sweep

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// rawServer is a keep-alive HTTP/1.1 server with a habit: what it does
// with a connection after reading each request (answer, answer and close
// without saying so, close, stall). It counts the requests it read.
type rawServer struct {
	ln       net.Listener
	habit    func(n int) string // what to do with the n-th request of a connection (from 1)
	requests atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func startRaw(t *testing.T, ln net.Listener, habit func(n int) string) *rawServer {
	t.Helper()
	s := &rawServer{ln: ln, habit: habit}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, conn)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(conn) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	for n := 1; ; n++ {
		if s.habit(n) == "close before reading" {
			return
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		s.requests.Add(1)
		switch s.habit(n) {
		case "stall":
			io.Copy(io.Discard, br) // until the client gives up
			return
		case "answer and close":
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			return
		default:
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	}
}

func always(h string) func(int) string { return func(int) string { return h } }

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestReconnect sends items one after another, each once, to servers with
// habits: a request that met a connection the server had closed is sent
// again on a new one (and counted apart); one the server saw, or that a
// new connection failed, is not.
func TestReconnect(t *testing.T) {
	cert := httptest.NewTLSServer(http.NotFoundHandler()) // for its certificate
	tlsCfg := cert.TLS.Clone()
	roots := x509.NewCertPool()
	roots.AddCert(cert.Certificate())
	cert.Close()

	tests := []struct {
		name     string
		habit    func(int) string
		tls      bool
		method   string
		header   http.Header
		timeout  time.Duration
		ok       int   // of 6 items
		requests int64 // the server read
		resent   int   // reconnects, at least
	}{
		{name: "closes after every answer", habit: always("answer and close"), ok: 6, requests: 6, resent: 5},
		{name: "closes after every answer, over TLS", habit: always("answer and close"), tls: true, ok: 6, requests: 6, resent: 5},
		{name: "closes after every answer, HEAD", habit: always("answer and close"), method: http.MethodHead, ok: 6, requests: 6, resent: 5},
		// net/http re-sends no POST the server may have read: every other
		// item meets the closed connection and fails.
		{name: "closes after every answer, POST", habit: always("answer and close"), method: http.MethodPost, ok: 3, requests: 3},
		{name: "closes after every answer, POST with an Idempotency-Key", habit: always("answer and close"), method: http.MethodPost,
			header: http.Header{"Idempotency-Key": {"k"}}, ok: 6, requests: 6, resent: 5},
		{name: "keeps connections", habit: always("answer"), ok: 6, requests: 6},
		// A new connection that fails is the server's failure.
		{name: "closes new connections unread", habit: always("close before reading")},
		// The server saw the request on the reused connection: a timeout,
		// not re-sent (and the next item has a new connection again).
		{name: "stalls on a reused connection", habit: func(n int) string {
			if n == 1 {
				return "answer"
			}
			return "stall"
		}, timeout: 200 * time.Millisecond, ok: 3, requests: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln := listen(t)
			scheme := "http"
			if tt.tls {
				ln, scheme = tls.NewListener(ln, tlsCfg), "https"
			}
			srv := startRaw(t, ln, tt.habit)
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			cl := (&scenario.Scenario{}).WithDefaults().Client
			cl.Retry.MaxAttempts = 1
			if tt.timeout > 0 {
				cl.Timeout = upstream.Duration(tt.timeout)
			}
			url := scheme + "://" + ln.Addr().String() + "/x"
			c, err := newClient(target{url: url, method: method, header: tt.header}, cl, upstream.RealTime, 1, false)
			if err != nil {
				t.Fatal(err)
			}
			defer c.closeIdle()
			c.hc.TLSConfig.RootCAs = roots
			cell := newCellRun(c, scenario.CellPlan{Strategy: scenario.Serial, Pool: 1}, 6, 1, nil, nil).run(context.Background())
			if cell.Succeeded != tt.ok || cell.Attempts != 6 {
				t.Errorf("succeeded %d of %d attempts (outcomes %v), want %d of 6", cell.Succeeded, cell.Attempts, cell.Outcomes, tt.ok)
			}
			if got := srv.requests.Load(); got != tt.requests {
				t.Errorf("the server read %d requests, want %d", got, tt.requests)
			}
			if cell.Reconnects < tt.resent || tt.resent == 0 && cell.Reconnects != 0 {
				t.Errorf("reconnects = %d, want %d", cell.Reconnects, tt.resent)
			}
		})
	}
}
