package mocksrv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/net/netutil"
)

// DefaultAddr is where Listen binds when given an empty address.
const DefaultAddr = "127.0.0.1:0"

// Server limits Listen sets on its http.Server.
const (
	ReadHeaderTimeout = 10 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 64 << 10
)

// Running is a mock server listening on a TCP address.
type Running struct {
	// URL is the base URL, like "http://127.0.0.1:PORT".
	URL string
	// Addr is the address the listener is bound to.
	Addr net.Addr

	mock *Server
	http *http.Server
	done chan error
}

// Listen serves s on addr (DefaultAddr when empty; binding elsewhere than
// loopback is the caller's explicit choice) with header-read and idle
// timeouts, a header size limit, the MaxRequestBody limit of the handler,
// and, when s's config sets MaxConns, a cap on TCP connections. It returns
// once the listener is bound.
func Listen(addr string, s *Server) (*Running, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mock listen: %w", err)
	}
	tcp := ln.Addr().(*net.TCPAddr)
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	if s.cfg.MaxConns > 0 {
		ln = netutil.LimitListener(ln, s.cfg.MaxConns)
	}
	r := &Running{
		URL:  "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port)),
		Addr: tcp,
		mock: s,
		http: &http.Server{
			Handler:           s,
			ReadHeaderTimeout: ReadHeaderTimeout,
			IdleTimeout:       IdleTimeout,
			MaxHeaderBytes:    MaxHeaderBytes,
		},
		done: make(chan error, 1),
	}
	go func() { r.done <- r.http.Serve(ln) }()
	return r, nil
}

// Shutdown closes the mock (queued and stalled requests are released),
// stops accepting connections and waits, until ctx is done, for requests in
// service to finish; then it closes whatever is left.
func (r *Running) Shutdown(ctx context.Context) error {
	r.mock.Close()
	err := r.http.Shutdown(ctx)
	if err != nil {
		r.http.Close()
	}
	if serr := <-r.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("mock serve: %w", serr)
	}
	if err != nil {
		return fmt.Errorf("mock shutdown: %w", err)
	}
	return nil
}
