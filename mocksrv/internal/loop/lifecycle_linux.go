//go:build linux

package loop

import (
	"bufio"
	"context"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// Starting and stopping: binding the listener, opening the loop's
// descriptors, Shutdown, the Service's close, and the loop's own failure.

// Loop is a running loop engine.
type Loop struct{ l *loop }

// Listen binds addr and starts a loop serving svc there with cfg's limits.
func Listen(addr string, svc Service, cfg Config) (*Loop, *net.TCPAddr, error) {
	return listen(addr, svc, cfg, nil)
}

func listen(addr string, svc Service, cfg Config, f faults) (*Loop, *net.TCPAddr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	tcp := ln.Addr().(*net.TCPAddr)
	file, err := ln.(*net.TCPListener).File() // a dup of the socket
	ln.Close()
	if err != nil {
		return nil, nil, err
	}
	lfd, err := unix.FcntlInt(file.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	file.Close()
	if err != nil {
		return nil, nil, err
	}
	l := &loop{svc: svc, cfg: cfg, faults: f, lfd: lfd, ep: -1, tfd: -1, efd: -1, conns: map[int]*conn{},
		done: make(chan struct{}), rbuf: make([]byte, readChunk)}
	l.housekeep = housekeepingEvery(cfg)
	l.br = bufio.NewReaderSize(&l.rd, 4096)
	if err := l.open(); err != nil {
		l.closeFDs()
		return nil, nil, err
	}
	go l.run()
	go func() {
		select {
		case <-svc.Done():
			l.serverClosed()
		case <-l.done:
		}
	}()
	return &Loop{l}, tcp, nil
}

func (l *loop) open() error {
	if err := unix.SetNonblock(l.lfd, true); err != nil {
		return err
	}
	var err error
	if l.ep, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return err
	}
	if l.tfd, err = unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC); err != nil {
		return err
	}
	if l.efd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return err
	}
	for _, fd := range []int{l.lfd, l.tfd, l.efd} {
		if err := l.epollCtl(unix.EPOLL_CTL_ADD, fd, unix.EPOLLIN); err != nil {
			return err
		}
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return err
	}
	l.t0 = time.Now()
	l.mono0 = ts.Nano()
	return nil
}

func (l *loop) closeFDs() {
	for _, fd := range []int{l.lfd, l.ep, l.tfd, l.efd} {
		if fd >= 0 {
			l.closeFD(fd)
		}
	}
}

// fatal ends the loop with err (the first one counts): Shutdown returns it.
func (l *loop) fatal(err error) {
	if l.err == nil {
		l.err = err
	}
}

// Shutdown stops the loop: no new connections, requests in service
// answered, then every connection closed. When ctx is done first, it
// closes everything at once (requests in service count as canceled). It
// returns the error that ended the loop, if one did, or else ctx's error
// if it had to cut requests short.
func (lp *Loop) Shutdown(ctx context.Context) error {
	l := lp.l
	var err error
	select {
	case <-l.shutdown(false):
	case <-ctx.Done():
		<-l.shutdown(true)
		err = ctx.Err()
	}
	if l.err != nil { // written before done was closed
		return l.err
	}
	return err
}

// shutdown asks the loop to stop: gracefully (answer what is in service,
// then close) or, with now, at once. It returns the channel closed when
// the loop has exited.
func (l *loop) shutdown(now bool) <-chan struct{} {
	l.inMu.Lock()
	defer l.inMu.Unlock()
	l.stop = max(l.stop, 1)
	if now {
		l.stop = 2
	}
	l.wake()
	return l.done
}

// Granted is the Service's grant of a slot to c's queued request (its
// lock is held).
func (c *conn) Granted(inFlight int64, at time.Time) {
	l := c.l
	l.inMu.Lock()
	defer l.inMu.Unlock()
	l.inbox = append(l.inbox, grant{c, inFlight, at})
	if l.sleeping.Load() {
		l.wake()
	}
}

// serverClosed is the Service's close hook.
func (l *loop) serverClosed() {
	l.inMu.Lock()
	defer l.inMu.Unlock()
	l.srvClosed = true
	l.wake()
}

// wake makes a sleeping loop look at its inbox (l.inMu held). EAGAIN
// means a wake-up is pending already; any other failure is kept for the
// loop, which finds it at its next housekeeping at the latest.
func (l *loop) wake() {
	if l.exited {
		return
	}
	one := [8]byte{1}
	if _, err := l.sysWrite(opEventfdWrite, l.efd, one[:]); err != nil && err != unix.EAGAIN && l.wakeErr == nil {
		l.wakeErr = sysError(opEventfdWrite, err)
	}
}

// release answers what the closed Service no longer serves: queued
// requests are rejected, stalled ones reset (and those stalling later are
// reset at once). Requests arriving later are rejected by the Service.
func (l *loop) release() {
	l.released = true
	for _, c := range l.conns {
		switch c.state {
		case connQueued:
			if c.arr.Place.Leave(false) {
				continue // granted just before the close: the inbox starts it
			}
			c.arr.Place = nil
			c.state = connIdle
			status, header, body := l.svc.Rejection()
			l.respond(c, status, header, body)
			l.serve(c)
		case connStalled:
			l.reset(c)
		}
	}
}

// drain starts a graceful shutdown: no new connections, idle ones closed,
// requests in service answered and then their connections closed.
func (l *loop) drain() {
	l.draining = true
	if !l.released {
		l.release() // Shutdown closes the Service first; this is for safety
	}
	if l.lfd >= 0 {
		l.closeFD(l.lfd)
		l.lfd = -1
	}
	for _, c := range l.conns {
		c.closeAfter = true
		if c.state == connIdle && len(c.out) == 0 {
			l.close(c)
		}
	}
}
