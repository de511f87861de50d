//go:build linux

package loop

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/poolbench/poolbench/mocksrv/internal/h1"
)

// Connections: accepting them and closing them (io_linux.go moves their
// bytes).
//
// What a connection holds is bounded: its input by the header limit while
// a request is being read (a body is consumed as it arrives, not kept),
// and by pipeInput while a request is in service or an answer is being
// written, when the loop stops reading (EPOLLIN off) until the answer is
// out; its output by one answer, since the next request is parsed only
// once the last answer is written.

const (
	readChunk = 64 << 10 // what one read takes at most
	// pipeInput bounds what a connection may have sent beyond the request
	// being served.
	pipeInput = 4 << 10
	// keepInput and keepOutput bound the buffers a connection keeps
	// between requests.
	keepInput  = 16 << 10
	keepOutput = 64 << 10
	// lingerFor is how long a connection closed after an answer keeps
	// reading (and discarding) what the client still sends, so that the
	// client reads the answer instead of a reset (net/http waits 500 ms).
	lingerFor = 500 * time.Millisecond
	// lingerReads bounds the reads of a connection per event: level-
	// triggered epoll reports the rest, after other connections.
	lingerReads = 16
)

// connState is where a connection's current request is.
type connState uint8

const (
	connIdle    connState = iota // between requests, or reading one
	connQueued                   // waiting for a slot
	connService                  // in service until its deadline
	connStalled                  // stall fault: no answer until the client leaves
)

// conn is one client connection and its request in progress.
type conn struct {
	l        *loop
	fd       int
	in       h1.Input // received, not yet consumed
	out      []byte   // answer bytes not yet written
	events   uint32   // registered with epoll
	state    connState
	gen      uint32    // bumped when a pending deadline becomes stale
	since    time.Time // accepted, or the current phase (header, body, idle) began
	requests int       // requests read whole on this connection
	read     reading   // the request being read

	// closeAfter: close once out is written; eof: the client closed its
	// side and all it sent has been read; head: a HEAD request (no body);
	// http10: an HTTP/1.0 request (kept alive only if it asked, and then
	// told so); wantOut: out waits for the socket; lingering: answered
	// and half-closed, discarding input until the client closes too.
	closeAfter, eof, head, http10, wantOut, lingering, closed bool

	arr               Arrival
	n                 int64
	intended          time.Duration // the wall service time due
	arrived, admitted time.Time
}

func (l *loop) accept() {
	for !l.draining && (l.cfg.MaxConns == 0 || len(l.conns) < l.cfg.MaxConns) {
		fd, err := l.sysAccept()
		switch {
		case err == nil:
		case err == unix.EAGAIN:
			return
		case err == unix.EINTR || err == unix.ECONNABORTED:
			continue
		default: // out of descriptors or memory: stop accepting a moment
			l.pauseAccept()
			l.push(loopTimer{at: l.since(time.Now()) + int64(acceptPause), resume: true})
			return
		}
		c := &conn{l: l, fd: fd, since: time.Now(), events: unix.EPOLLIN}
		if l.noDelay(fd) != nil || l.epollCtl(unix.EPOLL_CTL_ADD, fd, c.events) != nil {
			l.closeFD(fd) // that client sees its connection closed
			continue
		}
		l.conns[fd] = c
	}
	if !l.draining {
		l.pauseAccept() // MaxConns reached; close resumes
	}
}

// pauseAccept and resumeAccept take the listener out of the epoll set and
// back; failing either, the loop cannot keep its promise and ends.
func (l *loop) pauseAccept() {
	if !l.pausedLn && l.lfd >= 0 {
		if err := l.epollCtl(unix.EPOLL_CTL_DEL, l.lfd, 0); err != nil {
			l.fatal(sysError(opEpollCtl, err))
			return
		}
		l.pausedLn = true
	}
}

func (l *loop) resumeAccept() {
	if l.pausedLn && l.lfd >= 0 {
		if err := l.epollCtl(unix.EPOLL_CTL_ADD, l.lfd, unix.EPOLLIN); err != nil {
			l.fatal(sysError(opEpollCtl, err))
			return
		}
		l.pausedLn = false
	}
}

// gone handles a client that left: its request, queued or in service,
// counts as canceled and frees its place; then the connection closes.
func (l *loop) gone(c *conn) {
	switch c.state {
	case connQueued:
		c.arr.Place.Leave(true)
		c.arr.Place = nil
	case connService:
		l.svc.CancelService()
	}
	c.state = connIdle
	l.close(c)
}

func (l *loop) close(c *conn) {
	if c.closed {
		return
	}
	c.closed = true
	c.gen++
	c.in, c.out = h1.Input{}, nil // a stale deadline may keep c until it is due
	delete(l.conns, c.fd)
	l.closeFD(c.fd) // also leaves the epoll set
	if l.pausedLn && !l.draining {
		l.resumeAccept()
	}
}

// reset resets the client's connection: linger 0, then close. Should
// setting the linger fail, the client sees a close instead of a reset.
func (l *loop) reset(c *conn) {
	_ = l.lingerZero(c.fd) // a plain close is the fallback
	c.state = connIdle
	l.close(c)
}

// lingerClose closes the connection after its last answer without
// turning the close into a reset, which would discard what the client has
// not read yet: a close with unread input resets. If the client has
// closed its side, what it sent is read first; otherwise the connection
// half-closes and reads and discards until the client closes too or
// lingerFor passes.
func (l *loop) lingerClose(c *conn) {
	if c.lingering || c.closed {
		return
	}
	if c.eof {
		l.close(c) // all it sent has been read
		return
	}
	if l.shutWrite(c.fd) != nil {
		l.close(c)
		return
	}
	c.lingering, c.wantOut = true, false
	c.in.Consume(c.in.Len())
	l.interest(c)
	l.push(loopTimer{at: l.since(time.Now()) + int64(lingerFor), c: c, gen: c.gen, linger: true})
}
