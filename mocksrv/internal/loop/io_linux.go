//go:build linux

package loop

import (
	"time"

	"golang.org/x/sys/unix"
)

// Moving a connection's bytes: readiness events, reads up to the input
// limit, the epoll interest that enforces it, and writes.

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
	c.in.Shrink(keepInput)
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
