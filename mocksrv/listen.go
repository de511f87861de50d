package mocksrv

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/poolbench/poolbench/mocksrv/internal/loop"
)

// DefaultAddr is where Listen binds when given an empty address.
const DefaultAddr = "127.0.0.1:0"

// Server limits of both engines, as net/http's server has them, and
// BodyReadTimeout: a request's body must arrive within it of its header
// block (408 past it), so a client trickling a body cannot hold a
// connection for long. It lets the largest body (MaxRequestBody) arrive
// at 17 KiB/s.
const (
	ReadHeaderTimeout = 10 * time.Second
	BodyReadTimeout   = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 64 << 10
)

// Engine is what serves the mock's connections.
type Engine string

const (
	// EngineLoop serves from one epoll loop on its own thread (Linux
	// only; package mocksrv/internal/loop).
	EngineLoop Engine = "loop"
	// EngineHTTP serves through net/http with the Server as its handler,
	// HTTP/1.1 only: an HTTP/2 preface gets 505, as from the loop engine.
	EngineHTTP Engine = "http"
	// EngineH2C is EngineHTTP that also serves HTTP/2 over cleartext (h2c,
	// prior knowledge), for measuring a client over HTTP/2.
	EngineH2C Engine = "h2c"
)

// Engines lists the engines this platform has, the default first.
func Engines() []Engine {
	if runtime.GOOS == "linux" {
		return []Engine{EngineLoop, EngineHTTP}
	}
	return []Engine{EngineHTTP}
}

// DefaultEngine is the engine Listen uses: EngineLoop on Linux, EngineHTTP
// elsewhere.
func DefaultEngine() Engine { return Engines()[0] }

// Running is a mock server listening on a TCP address.
type Running struct {
	// URL is the base URL, like "http://127.0.0.1:PORT".
	URL string
	// Addr is the address the listener is bound to.
	Addr net.Addr
	// Engine is what serves it.
	Engine Engine

	mock *Server
	http *http.Server // EngineHTTP
	loop *loop.Loop   // EngineLoop
	done chan error   // EngineHTTP: Serve's error
}

// Listen serves s on addr with DefaultEngine; see ListenEngine.
func Listen(addr string, s *Server) (*Running, error) {
	return ListenEngine(addr, s, DefaultEngine())
}

// ListenEngine serves s on addr (DefaultAddr when empty; binding elsewhere
// than loopback is the caller's explicit choice) with header-read,
// body-read and idle timeouts, a header size limit, the MaxRequestBody
// limit, and, when s's config sets MaxConns, a cap on TCP connections.
// Both engines close a connection after answering a request that had both
// Transfer-Encoding and Content-Length. It returns once the listener is
// bound.
func ListenEngine(addr string, s *Server, engine Engine) (*Running, error) {
	return listenEngine(addr, s, engine, defaultLimits())
}

// limits are the engines' timeouts (tests shorten them).
type limits struct {
	readHeader, bodyRead, idle time.Duration
}

func defaultLimits() limits {
	return limits{readHeader: ReadHeaderTimeout, bodyRead: BodyReadTimeout, idle: IdleTimeout}
}

func listenEngine(addr string, s *Server, engine Engine, lim limits) (*Running, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	switch engine {
	case EngineLoop:
		l, tcp, err := loop.Listen(addr, loopService{s}, loop.Config{
			ReadHeaderTimeout: lim.readHeader,
			BodyReadTimeout:   lim.bodyRead,
			IdleTimeout:       lim.idle,
			MaxHeaderBytes:    MaxHeaderBytes,
			MaxRequestBody:    MaxRequestBody,
			MaxConns:          s.cfg.MaxConns,
		})
		if err != nil {
			return nil, fmt.Errorf("mock listen: %w", err)
		}
		return &Running{URL: baseURL(tcp), Addr: tcp, Engine: engine, mock: s, loop: l}, nil
	case EngineHTTP, EngineH2C:
	default:
		return nil, fmt.Errorf("mock engine %q: want %s, %s or %s", engine, EngineLoop, EngineHTTP, EngineH2C)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mock listen: %w", err)
	}
	tcp := ln.Addr().(*net.TCPAddr)
	// HTTP/1.1, and for EngineH2C h2c with prior knowledge, taking any
	// number of concurrent streams on a connection (net/http's default is
	// 250): the mock's only limit on requests in flight is its cap, as
	// over HTTP/1.1, so that a pool above 250 over h2c reaches it, as the
	// model has it.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(engine == EngineH2C)
	r := &Running{
		URL:    baseURL(tcp),
		Addr:   tcp,
		Engine: engine,
		mock:   s,
		http: &http.Server{
			Handler:           httpEngine{s, lim.bodyRead, engine == EngineH2C},
			ConnContext:       withWatched,
			ReadHeaderTimeout: lim.readHeader,
			IdleTimeout:       lim.idle,
			MaxHeaderBytes:    MaxHeaderBytes,
			Protocols:         &protocols,
			HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: math.MaxUint32},
		},
		done: make(chan error, 1),
	}
	go func() { r.done <- r.http.Serve(newWatchListener(ln, s.cfg.MaxConns)) }()
	return r, nil
}

// baseURL is the URL of a listener bound to tcp (127.0.0.1 for an
// unspecified address).
func baseURL(tcp *net.TCPAddr) string {
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

// Shutdown closes the mock (queued and stalled requests are released),
// stops accepting connections and waits, until ctx is done, for requests in
// service to finish; then it closes whatever is left. It returns the
// engine's error, if it failed, or ctx's when it had to cut requests short.
func (r *Running) Shutdown(ctx context.Context) error {
	r.mock.Close()
	if r.loop != nil {
		if err := r.loop.Shutdown(ctx); err != nil {
			return fmt.Errorf("mock shutdown: %w", err)
		}
		return nil
	}
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
