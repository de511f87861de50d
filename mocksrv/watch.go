package mocksrv

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/poolbench/poolbench/mocksrv/internal/h1"
)

// The net/http engine watches its connections' bytes with h1.Watch to
// close a connection after answering a request that had both
// Transfer-Encoding and Content-Length (RFC 9112 §6.1), which net/http's
// server serves and keeps alive, and caps connections at MaxConns.

// watchListener accepts watched connections, at most max at once (0: no
// cap; past it Accept waits for one to close).
type watchListener struct {
	net.Listener
	slots chan struct{} // nil: no cap
}

func newWatchListener(ln net.Listener, max int) *watchListener {
	w := &watchListener{Listener: ln}
	if max > 0 {
		w.slots = make(chan struct{}, max)
	}
	return w
}

func (l *watchListener) Accept() (net.Conn, error) {
	if l.slots != nil {
		l.slots <- struct{}{}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		if l.slots != nil {
			<-l.slots
		}
		return nil, err
	}
	return &watchedConn{Conn: c, watch: h1.NewWatch(MaxHeaderBytes + 4096), slots: l.slots}, nil
}

// watchedConn is a connection whose received bytes an h1.Watch follows.
type watchedConn struct {
	net.Conn
	slots     chan struct{}
	closeOnce sync.Once

	mu     sync.Mutex // guards below: net/http reads from two goroutines
	watch  *h1.Watch
	served int // requests handed to the handler
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.watch.Feed(p[:n])
		c.mu.Unlock()
	}
	return n, err
}

func (c *watchedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		if c.slots != nil {
			<-c.slots
		}
	})
	return err
}

// next counts a request handed to the handler and reports whether it had
// both Transfer-Encoding and Content-Length.
func (c *watchedConn) next() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.served++
	return c.watch.Suspect(c.served)
}

type watchedKey struct{}

// withWatched is the http.Server's ConnContext.
func withWatched(ctx context.Context, c net.Conn) context.Context {
	if wc, ok := c.(*watchedConn); ok {
		return context.WithValue(ctx, watchedKey{}, wc)
	}
	return ctx
}

// httpEngine is the handler of the net/http engine: the Server, with the
// engine's limits and its watch on connections.
type httpEngine struct {
	s           *Server
	bodyTimeout time.Duration
	h2c         bool // serve HTTP/2 (EngineH2C); else it gets 505
}

func (e httpEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if wc, ok := r.Context().Value(watchedKey{}).(*watchedConn); ok && wc.next() {
		w.Header().Set("Connection", "close")
	}
	e.s.serveHTTP(w, r, e.bodyTimeout, e.h2c)
}
