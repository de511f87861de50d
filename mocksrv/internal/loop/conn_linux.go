//go:build linux

package loop

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/poolbench/poolbench/mocksrv/internal/h1"
)

// Connections: accepting them, moving their bytes, and closing them.
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

// event handles readiness of a client connection.
func (l *loop) event(c *conn, ev uint32) {
	if ev&unix.EPOLLOUT != 0 {
		l.flush(c)
		l.serve(c)
	}
	if c.closed {
		return
	}
	switch {
	case ev&(unix.EPOLLHUP|unix.EPOLLERR) != 0 && c.events&unix.EPOLLIN == 0:
		l.gone(c) // failed while the loop was not reading
	case ev&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0:
		l.receive(c)
	}
}

// inputLimit is how much unconsumed input c may hold now.
func (l *loop) inputLimit(c *conn) int {
	if c.reading() {
		return l.headerLimit() + 1 // one more: past the limit is 431
	}
	return pipeInput
}

// receive reads what the client sent, up to c's input limit, and serves
// it. End of file is noted (c.eof) and served after what came before it.
func (l *loop) receive(c *conn) {
	if c.lingering {
		l.discard(c)
		return
	}
	for range lingerReads {
		room := min(l.inputLimit(c)-c.in.Len(), len(l.rbuf))
		if room <= 0 || c.eof {
			break
		}
		n, err := l.sysRead(opRead, c.fd, l.rbuf[:room])
		switch {
		case n > 0:
			if c.in.Len() == 0 && c.reading() && c.read.phase == phaseHead {
				c.since = time.Now() // a request's first byte
			}
			c.in.Add(l.rbuf[:n])
			l.serve(c)
			if c.closed || c.lingering || n < room {
				return
			}
			continue
		case err == unix.EAGAIN:
		case err == unix.EINTR:
			continue
		case err == nil:
			c.eof = true
		default:
			l.gone(c) // reset or failed
			return
		}
		break
	}
	l.serve(c)
}

// discard reads and drops what a lingering connection's client sends, a
// bounded number of reads at a time (level-triggered epoll reports the
// rest), and closes it once the client has closed too.
func (l *loop) discard(c *conn) {
	for range lingerReads {
		n, err := l.sysRead(opRead, c.fd, l.rbuf)
		if n > 0 || err == unix.EINTR {
			continue
		}
		if err != unix.EAGAIN {
			l.close(c)
		}
		return
	}
}

// interest registers the epoll events c needs now: input while it may
// take more (and while lingering), output while an answer waits for the
// socket. A failure closes the connection.
func (l *loop) interest(c *conn) {
	if c.closed {
		return
	}
	var ev uint32
	if c.lingering || !c.eof && c.in.Len() < l.inputLimit(c) {
		ev = unix.EPOLLIN
	}
	if c.wantOut {
		ev |= unix.EPOLLOUT
	}
	if ev == c.events {
		return
	}
	if err := l.epollCtl(unix.EPOLL_CTL_MOD, c.fd, ev); err != nil {
		l.gone(c)
		return
	}
	c.events = ev
}

// write queues b and writes as much as the socket takes. Callers go on
// with serve, which starts a pipelined request once all is written.
func (l *loop) write(c *conn, b []byte) {
	c.out = append(c.out, b...)
	l.flush(c)
}

func (l *loop) flush(c *conn) {
	written := 0
	for written < len(c.out) {
		n, err := l.sysWrite(opWrite, c.fd, c.out[written:])
		switch {
		case n > 0:
			written += n
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			c.out = c.out[:copy(c.out, c.out[written:])]
			c.wantOut = true
			l.interest(c)
			return
		default:
			l.gone(c) // the client is gone
			return
		}
	}
	c.out = c.out[:0]
	if cap(c.out) > keepOutput {
		c.out = nil
	}
	c.wantOut = false
	if c.state == connIdle {
		c.since = time.Now()
		if c.closeAfter {
			l.lingerClose(c)
			return
		}
	}
	l.interest(c)
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
