//go:build linux

package loop

import (
	"bufio"
	"bytes"
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
// The files, one job each: loop_linux.go runs the loop; lifecycle_linux.go
// starts and stops it; conn_linux.go accepts and closes connections;
// io_linux.go moves their bytes; read_linux.go reads requests (package h1
// frames them); model_linux.go starts them through the Service and ends
// their service; timers_linux.go keeps deadlines and timeouts;
// answer_linux.go writes answers; sys_linux.go makes the system calls.

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
	if stop == 0 {
		return l.err != nil
	}
	if !l.draining {
		l.drain()
	}
	// Forced (stop 2): run's exit closes every connection.
	return stop > 1 || len(l.conns) == 0 || l.err != nil
}
