//go:build linux

package loop

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The loop serves from one goroutine locked to its OS thread: epoll(7)
// over the listener, the connections, a timerfd(2) (absolute
// CLOCK_MONOTONIC, ns) that keeps every deadline, and an eventfd through
// which other goroutines hand it granted requests and stop requests.
// Nothing blocks but epoll_wait, and the usual request costs no goroutine,
// Go timer or allocation, so deadlines are kept to the microsecond under
// load (docs/notes/mock.md has the measurements).
//
// The files: this one runs the loop and stops it; conn_linux.go accepts
// connections and moves their bytes; serve_linux.go frames and starts
// requests (package h1 frames them); timers_linux.go keeps
// deadlines and timeouts; answer_linux.go writes answers; sys_linux.go
// makes the system calls.

// loop is the epoll loop serving one Service on one listener.
type loop struct {
	svc    Service
	cfg    Config
	faults faults // nil outside tests
	ep     int    // epoll
	lfd    int    // listener, -1 once closed
	tfd    int    // timerfd
	efd    int    // eventfd: wakes the loop
	conns  map[int]*conn
	rbuf   []byte // what one read takes, before it is added to a connection's input

	timers    timerHeap
	armedAt   int64 // what the timerfd is armed for (ns since t0), 0 if not
	busy      bool  // answering more than busyRate a second
	answers   int   // deadlines reached since rateStart
	rateStart int64
	late      int64 // low-quantile estimate of timerfd lateness, ns
	mono0     int64 // CLOCK_MONOTONIC at t0, ns
	t0        time.Time
	housekeep time.Duration // how often timeouts are checked

	pausedLn bool // listener out of the epoll set (MaxConns reached or accept failing)
	draining bool // shutting down: no new connections, close when idle
	released bool // the Service closed: queued and stalled requests released
	err      error

	scratch []byte // answers are built here
	rd      bytes.Reader
	br      *bufio.Reader
	date    []byte
	dateSec int64

	inMu      sync.Mutex
	inbox     []grant // granted requests, for the loop to start
	srvClosed bool    // the Service closed
	stop      int     // 1: graceful shutdown asked, 2: close everything now
	wakeErr   error   // waking the loop failed
	exited    bool    // the loop has exited (its descriptors are closed)
	sleeping  atomic.Bool
	done      chan struct{}
}

// grant is a queued request granted a slot.
type grant struct {
	c        *conn
	inFlight int64
	at       time.Time
}

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
	l.housekeep = min(housekeepEvery, max(min(cfg.ReadHeaderTimeout, cfg.BodyReadTimeout, cfg.IdleTimeout)/4, 10*time.Millisecond))
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

func (l *loop) run() {
	// The loop has a thread of its own: no other goroutine runs on it
	// while it polls, and the thread ends with the loop.
	runtime.LockOSThread()
	defer close(l.done)
	defer func() {
		for _, c := range l.conns {
			l.gone(c)
		}
		l.inMu.Lock()
		l.exited = true
		l.closeFDs()
		l.inMu.Unlock()
	}()
	l.push(loopTimer{at: l.since(time.Now()) + int64(l.housekeep)})
	evs := make([]unix.EpollEvent, 256)
	for l.err == nil {
		if l.takeInbox() {
			return
		}
		// While hot (see hot) poll instead of sleeping. The timerfd is
		// armed only before sleeping: setting a timer costs a VM exit on
		// virtual machines, and under load the loop rarely sleeps.
		timeout := 0
		if !l.hot(l.since(time.Now())) {
			l.arm()
			l.sleeping.Store(true)
			l.inMu.Lock()
			pending := len(l.inbox) > 0 || l.srvClosed && !l.released || l.stop > 0 && !l.draining || l.stop > 1 || l.wakeErr != nil
			l.inMu.Unlock()
			if pending || l.err != nil {
				l.sleeping.Store(false)
				continue
			}
			timeout = -1
		}
		n, err := l.epollWait(evs, timeout)
		l.sleeping.Store(false)
		if err != nil && err != unix.EINTR {
			l.fatal(sysError(opEpollWait, err))
			return
		}
		for i, ev := range evs[:max(n, 0)] {
			switch fd := int(ev.Fd); fd {
			case l.lfd:
				l.accept()
			case l.tfd:
				l.timerFired()
			case l.efd:
				var b [8]byte
				if _, err := l.sysRead(opEventfdRead, l.efd, b[:]); err != nil && err != unix.EAGAIN {
					l.fatal(sysError(opEventfdRead, err))
				}
			default:
				if c := l.conns[fd]; c != nil {
					l.event(c, ev.Events)
				}
			}
			if i%32 == 31 {
				l.runTimers() // a long batch must not hold deadlines back
			}
		}
		l.runTimers()
		if l.draining && len(l.conns) == 0 {
			return
		}
	}
}

// takeInbox starts the granted requests and handles a shutdown request.
// It returns true when the loop must exit now.
func (l *loop) takeInbox() bool {
	l.inMu.Lock()
	granted := l.inbox
	l.inbox = nil
	stop, srvClosed, wakeErr := l.stop, l.srvClosed, l.wakeErr
	l.inMu.Unlock()
	if wakeErr != nil {
		l.fatal(wakeErr)
		return true
	}
	for _, g := range granted {
		c := g.c
		if c.closed || c.state != connQueued {
			continue // its client left; Leave accounted for it
		}
		c.arr.Place = nil
		l.admit(c, g.inFlight, g.at)
	}
	if len(granted) > 0 {
		l.runTimers() // zero service times
	}
	if srvClosed && !l.released {
		l.release()
	}
	switch {
	case stop == 0:
		return l.err != nil
	case stop > 1:
		return true // run's exit closes every connection
	}
	if !l.draining {
		l.drain()
	}
	return len(l.conns) == 0 || l.err != nil
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
