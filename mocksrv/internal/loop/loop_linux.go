//go:build linux

package loop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/sys/unix"

	"github.com/poolbench/poolbench/mocksrv/internal/lateness"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// The loop engine serves the mock from one goroutine locked to its OS
// thread: an epoll(7) loop that accepts connections, reads and parses
// requests (net/http's parser, on complete requests only), keeps every
// request in service in a heap of deadlines and answers each when a
// timerfd(2) armed with nanosecond resolution (absolute CLOCK_MONOTONIC)
// fires. Nothing blocks but epoll_wait: no goroutine per connection or per
// request, no Go timer, no scheduler hand-off between the read, the sleep
// and the write.
//
// Why: behind net/http the mock cost about 60 µs of CPU per request on a
// 2-vCPU VM (goroutine wake-ups, netpoller, timers, header maps); the loop
// costs about 15 µs, so the mock keeps up with load generators on the same
// machine, and the time from deadline to answer is not lengthened by the
// Go scheduler (measured in docs/notes/mock.md).
//
// The model is the Server's: arrive, finish, cancelService and giveUp do
// the admission and the accounting for both engines, so the counters, the
// queue and the answers are the same. A request queued behind the cap is
// granted through the waiter's notify, which hands it to the loop through
// an inbox (and an eventfd when the loop sleeps), so a Server may be
// served by both engines at once.
//
// Timer lateness is compensated as in timing: the timerfd is armed a low
// quantile of the observed lateness before the earliest deadline, and the
// loop polls (epoll_wait without a timeout) the rest of the way when it
// wakes early. A plain spin would be simpler but holds back the requests
// arriving meanwhile: measured with wrk -c200 at 10 ms, 84-86% of the
// ideal rate spinning against 93-95% not waiting at all.

// connState is where a connection's current request is.
type connState uint8

const (
	connIdle    connState = iota // between requests (or reading one)
	connQueued                   // waiting for a slot
	connService                  // in service until its deadline
	connStalled                  // stall fault: no answer until the client leaves
)

// loopConn is one client connection and its request in progress.
type loopConn struct {
	fd    int
	in    []byte // received, not yet parsed
	out   []byte // answer bytes not yet written
	state connState
	gen   uint32    // bumped when a pending deadline becomes stale
	since time.Time // idle since, or reading a request since
	// closeAfter: close once out is written; eof: the client closed its
	// side; head: a HEAD request (no body); http10: an HTTP/1.0 request
	// (kept alive only if it asked, and then told so); continued: 100
	// Continue sent;
	// wantOut, paused: EPOLLOUT registered, EPOLLIN not registered.
	// lingering: answered and half-closed, discarding input until the
	// client closes too.
	closeAfter, eof, head, http10, continued, wantOut, paused, lingering, closed bool

	l                 *loop
	arr               Arrival
	n                 int64
	intended          time.Duration // the wall service time due
	arrived, admitted time.Time
}

// loopTimer is a pending deadline: a request's end of service (c, gen),
// the end of a lingering close (c, gen, linger), housekeeping (c nil) or
// resuming accept after an error (resume).
type loopTimer struct {
	at     int64 // ns since loop.t0
	c      *loopConn
	gen    uint32
	linger bool
	resume bool
}

// timerHeap is a min-heap of deadlines (typed, so pushing does not
// allocate as container/heap's interface would).
type timerHeap []loopTimer

func (h *timerHeap) push(t loopTimer) {
	*h = append(*h, t)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p].at <= a[i].at {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *timerHeap) pop() {
	a := *h
	n := len(a) - 1
	a[0] = a[n]
	a[n] = loopTimer{}
	a = a[:n]
	for i := 0; ; {
		m, l, r := i, 2*i+1, 2*i+2
		if l < n && a[l].at < a[m].at {
			m = l
		}
		if r < n && a[r].at < a[m].at {
			m = r
		}
		if m == i {
			break
		}
		a[m], a[i] = a[i], a[m]
		i = m
	}
	*h = a
}

const (
	housekeepEvery = time.Second
	// busyRate is the answer rate (per second) above which the loop
	// polls while requests are in service, measured over rateWindow.
	busyRate   = 5000
	rateWindow = 100 * time.Millisecond
	// maxEarly bounds how early the timerfd is armed, so how long the loop
	// may poll towards a deadline instead of sleeping.
	maxEarly    = 250 * time.Microsecond
	acceptPause = 100 * time.Millisecond
	// lingerFor is how long a connection closed after an answer keeps
	// reading (and discarding) what the client still sends, so that the
	// client reads the answer instead of a reset (net/http waits 500 ms).
	lingerFor = 500 * time.Millisecond
	readChunk = 64 << 10
	// lingerReads bounds the reads of a lingering connection per event;
	// drainReads those of a closing one whose client has closed its side
	// (what it sent is in the socket already: 64 MiB at most).
	lingerReads = 16
	drainReads  = 1024
)

// loop is the epoll loop serving one Server on one listener.
type loop struct {
	svc       Service
	cfg       Config
	maxInput  int // bounds what a connection may have buffered: a request's headers and body plus one pipelined request's worth
	scratch   []byte
	ep        int // epoll
	lfd       int // listener, -1 once closed
	tfd       int // timerfd
	efd       int // eventfd: wakes the loop for the inbox
	conns     map[int]*loopConn
	timers    timerHeap
	armedAt   int64 // what the timerfd is armed for (ns since t0), 0 if not
	busy      bool  // answering more than busyRate a second
	answers   int   // deadlines reached since rateStart
	rateStart int64
	late      int64 // low-quantile estimate of timerfd lateness, ns
	mono0     int64 // CLOCK_MONOTONIC at t0, ns
	t0        time.Time
	pausedLn  bool // listener removed from epoll (MaxConns reached or accept error)
	draining  bool // shutting down: no new connections, close when idle

	released bool // the Server closed: queued and stalled requests released

	inMu      sync.Mutex
	inbox     []grant // granted requests, for the loop to start
	srvClosed bool    // the Service closed
	stop      int     // 1: graceful shutdown asked, 2: close everything now
	exited    bool    // the loop has exited (its descriptors are closed)
	sleeping  atomic.Bool
	done      chan struct{}

	rbuf         []byte
	method, path []byte // of the request being dispatched
	rd           bytes.Reader
	br           *bufio.Reader
	date         []byte
	dateSec      int64
}

// grant is a queued request granted a slot.
type grant struct {
	c        *loopConn
	inFlight int64
	at       time.Time
}

// Loop is a running loop engine.
type Loop struct{ l *loop }

// Listen binds addr and starts a loop serving svc there with cfg's limits.
func Listen(addr string, svc Service, cfg Config) (*Loop, *net.TCPAddr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	tcp := ln.Addr().(*net.TCPAddr)
	f, err := ln.(*net.TCPListener).File() // a blocking dup of the socket
	ln.Close()
	if err != nil {
		return nil, nil, err
	}
	lfd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	l := &loop{svc: svc, cfg: cfg, lfd: lfd, ep: -1, tfd: -1, efd: -1, conns: map[int]*loopConn{},
		done: make(chan struct{}), rbuf: make([]byte, readChunk),
		maxInput: cfg.MaxHeaderBytes + 4096 + cfg.MaxRequestBody + readChunk}
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

// headerLimit is the largest header block the loop reads: net/http's
// server allows MaxHeaderBytes plus 4096 bytes of slack.
func (l *loop) headerLimit() int { return l.cfg.MaxHeaderBytes + 4096 }

// Shutdown stops the loop: no new connections, requests in service
// answered, then every connection closed. When ctx is done first, it
// closes everything at once (requests in service count as canceled) and
// returns ctx's error.
func (lp *Loop) Shutdown(ctx context.Context) error {
	done := lp.l.shutdown(false)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		<-lp.l.shutdown(true)
		return ctx.Err()
	}
}

func (l *loop) open() error {
	unix.CloseOnExec(l.lfd)
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
		if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
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
			unix.Close(fd)
		}
	}
}

// since is the loop clock: ns since t0 (monotonic).
func (l *loop) since(t time.Time) int64 { return int64(t.Sub(l.t0)) }

// Granted is the Service's grant of a slot to c's queued request (its
// lock is held).
func (c *loopConn) Granted(inFlight int64, at time.Time) {
	l := c.l
	l.inMu.Lock()
	defer l.inMu.Unlock()
	l.inbox = append(l.inbox, grant{c, inFlight, at})
	if l.sleeping.Load() && !l.exited {
		l.wake()
	}
}

// serverClosed is the Server's close hook.
func (l *loop) serverClosed() {
	l.inMu.Lock()
	defer l.inMu.Unlock()
	l.srvClosed = true
	if !l.exited {
		l.wake()
	}
}

func (l *loop) wake() {
	one := [8]byte{1}
	unix.Write(l.efd, one[:])
}

// shutdown asks the loop to stop: gracefully (answer what is in service,
// then close) or, with now, at once (requests in service count as
// canceled). It returns the channel closed when the loop has exited.
func (l *loop) shutdown(now bool) <-chan struct{} {
	l.inMu.Lock()
	defer l.inMu.Unlock()
	l.stop = max(l.stop, 1)
	if now {
		l.stop = 2
	}
	if !l.exited {
		l.wake()
	}
	return l.done
}

func (l *loop) run() {
	// The loop has a thread of its own: no other goroutine runs on it
	// while it polls, and the thread ends with the loop. (Timer slack
	// needs no setting: timerfd ignores it, and epoll_wait is only called
	// without a timeout or with none to wait.)
	runtime.LockOSThread()
	defer close(l.done)
	defer func() {
		l.inMu.Lock()
		l.exited = true
		l.closeFDs()
		l.inMu.Unlock()
	}()
	l.push(loopTimer{at: l.since(time.Now()) + int64(housekeepEvery)})
	evs := make([]unix.EpollEvent, 256)
	for {
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
			pending := len(l.inbox) > 0 || l.srvClosed && !l.released || l.stop > 0 && !l.draining || l.stop > 1
			l.inMu.Unlock()
			if pending {
				l.sleeping.Store(false)
				continue
			}
			timeout = -1
		}
		n, err := unix.EpollWait(l.ep, evs, timeout)
		l.sleeping.Store(false)
		if err != nil && err != unix.EINTR {
			return // cannot happen with valid descriptors
		}
		for i, ev := range evs[:max(n, 0)] {
			switch fd := int(ev.Fd); fd {
			case l.lfd:
				l.accept()
			case l.tfd:
				l.timerFired()
			case l.efd:
				var b [8]byte
				unix.Read(l.efd, b[:])
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

// takeInbox starts the granted waiters and handles a shutdown request. It
// returns true when the loop must exit now.
func (l *loop) takeInbox() bool {
	l.inMu.Lock()
	granted := l.inbox
	l.inbox = nil
	stop, srvClosed := l.stop, l.srvClosed
	l.inMu.Unlock()
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
		return false
	}
	if !l.draining {
		l.drain()
	}
	if stop > 1 {
		for _, c := range l.conns {
			l.gone(c)
		}
		return true
	}
	return len(l.conns) == 0
}

// release answers what the closed Server no longer serves: queued
// requests are rejected, stalled ones reset (and those stalling later
// are reset at once). Requests arriving later are rejected by arrive.
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

// drain starts a graceful shutdown (after release): no new connections,
// idle ones closed, requests in service answered and then their
// connections closed.
func (l *loop) drain() {
	l.draining = true
	if !l.released {
		l.release() // Shutdown closes the Server first; this is for safety
	}
	if l.lfd >= 0 {
		unix.Close(l.lfd)
		l.lfd = -1
	}
	for _, c := range l.conns {
		c.closeAfter = true
		if c.state == connIdle && len(c.out) == 0 {
			l.close(c)
		}
	}
}

// arm sets the timerfd for the earliest deadline, minus the lateness
// estimate.
func (l *loop) arm() {
	if len(l.timers) == 0 {
		return
	}
	at := l.timers[0].at - l.late
	if at == l.armedAt {
		return
	}
	l.armedAt = at
	ts := unix.NsecToTimespec(l.mono0 + max(at, 1))
	unix.TimerfdSettime(l.tfd, unix.TFD_TIMER_ABSTIME, &unix.ItimerSpec{Value: ts}, nil)
}

// hot reports whether the loop should poll rather than sleep at now.
// Sleeping costs more than its system call: on a virtual machine an idle
// vCPU halts, and waking it for the next packet or timer takes tens to
// hundreds of microseconds (docs/notes/perf.md), added to the answers. The
// loop polls:
//   - while busy (more than busyRate answers a second over the last
//     rateWindow; it stops within rateWindow of the load): load generators send in
//     bursts, and a loop that sleeps between them answers every burst
//     late (wrk -c200 at 10 ms: 74-84% of the ideal rate sleeping, 92-98.5%
//     polling, in alternating runs). It uses a core meanwhile, as the
//     load does.
//   - within the lateness estimate of a deadline (the timerfd was armed
//     that early).
//
// Otherwise, with sparse deadlines, it sleeps between them. (Polling also
// for 200 µs after each answer, to catch the client's next request
// without a wake-up, did not help: seed-816s at 1:100, serial and pool 2,
// three alternating runs each: +4.3 to +16.5% with it, +2.4 to +8.5%
// without.)
func (l *loop) hot(now int64) bool {
	if now-l.rateStart >= int64(rateWindow) {
		l.busy = float64(l.answers) >= busyRate*float64(now-l.rateStart)/float64(time.Second)
		l.rateStart, l.answers = now, 0
	}
	return l.busy || len(l.timers) > 0 && l.timers[0].at-now <= l.late
}

// timerFired reads the timerfd and updates the lateness estimate, as
// timing does.
func (l *loop) timerFired() {
	var b [8]byte
	if n, _ := unix.Read(l.tfd, b[:]); n != 8 || l.armedAt == 0 {
		return
	}
	late := l.since(time.Now()) - l.armedAt
	l.armedAt = 0
	l.late = int64(lateness.Next(time.Duration(l.late), time.Duration(late), maxEarly))
}

func (l *loop) push(t loopTimer) { l.timers.push(t) }

// runTimers handles every deadline that is due.
func (l *loop) runTimers() {
	now := l.since(time.Now())
	for len(l.timers) > 0 {
		t := l.timers[0]
		if t.c != nil && (t.c.closed || t.c.gen != t.gen || t.linger != t.c.lingering || !t.linger && t.c.state != connService) {
			l.timers.pop() // stale
			continue
		}
		if t.at > now {
			return
		}
		l.timers.pop()
		switch {
		case t.resume:
			l.resumeAccept()
		case t.c == nil:
			l.housekeep(now)
			l.push(loopTimer{at: now + int64(housekeepEvery)})
		case t.linger:
			l.close(t.c)
		default:
			l.answers++
			l.expire(t.c)
		}
	}
}

// housekeep closes connections idle past IdleTimeout and those whose
// request has been arriving for longer than ReadHeaderTimeout.
func (l *loop) housekeep(now int64) {
	for _, c := range l.conns {
		if c.state != connIdle || len(c.out) > 0 || c.lingering {
			continue
		}
		limit := l.cfg.IdleTimeout
		if len(c.in) > 0 {
			limit = l.cfg.ReadHeaderTimeout
		}
		if now-l.since(c.since) > int64(limit) {
			l.close(c)
		}
	}
}

func (l *loop) accept() {
	for !l.draining && (l.cfg.MaxConns == 0 || len(l.conns) < l.cfg.MaxConns) {
		fd, _, err := unix.Accept4(l.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
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
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		c := &loopConn{l: l, fd: fd, since: time.Now()}
		if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}); err != nil {
			unix.Close(fd)
			continue
		}
		l.conns[fd] = c
	}
	if !l.draining {
		l.pauseAccept() // MaxConns reached; close resumes
	}
}

func (l *loop) pauseAccept() {
	if !l.pausedLn && l.lfd >= 0 {
		l.pausedLn = true
		unix.EpollCtl(l.ep, unix.EPOLL_CTL_DEL, l.lfd, nil)
	}
}

func (l *loop) resumeAccept() {
	if l.pausedLn && l.lfd >= 0 {
		l.pausedLn = false
		unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, l.lfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(l.lfd)})
	}
}

// event handles readiness of a client connection.
func (l *loop) event(c *loopConn, ev uint32) {
	if ev&unix.EPOLLOUT != 0 {
		l.flush(c)
		l.serve(c)
		if c.closed {
			return
		}
	}
	switch {
	case ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) == 0:
	case !c.paused:
		l.read(c)
	case ev&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0:
		c.eof = true // left while its input was full
		l.ended(c, ev&(unix.EPOLLHUP|unix.EPOLLERR) != 0)
	}
}

// ended handles a client that closed its side (c.eof; or failed:
// broken). serve goes on with what it sent before: an answer still being
// written is finished (the client may only have half-closed), requests
// already received are parsed, and a modeled one is canceled at once, as
// net/http cancels a handler's context when its client closes; then the
// connection is closed.
func (l *loop) ended(c *loopConn, broken bool) {
	if c.closed {
		return
	}
	if broken {
		l.gone(c)
		return
	}
	l.interest(c) // no more EPOLLIN or EPOLLRDHUP: c.eof
	l.serve(c)
}

// read takes what the client sent; on end of file or an error the client
// is gone, after what it sent is parsed (so a request sent just before the
// client closed counts, as canceled, like net/http's).
func (l *loop) read(c *loopConn) {
	if c.lingering {
		// A bounded number of reads: level-triggered epoll reports the
		// rest, and other connections and deadlines go first.
		for range lingerReads {
			n, err := unix.Read(c.fd, l.rbuf)
			if n > 0 || err == unix.EINTR {
				continue
			}
			if err != unix.EAGAIN {
				l.close(c) // the client closed too
			}
			return
		}
		return
	}
	for len(c.in) < l.maxInput {
		n, err := unix.Read(c.fd, l.rbuf)
		if n > 0 {
			if len(c.in) == 0 && c.state == connIdle {
				c.since = time.Now()
			}
			c.in = append(c.in, l.rbuf[:n]...)
			if n < len(l.rbuf) {
				break
			}
			continue
		}
		if err == unix.EAGAIN {
			break
		}
		if err == unix.EINTR {
			continue
		}
		c.eof = true
		break
	}
	if len(c.in) >= l.maxInput && !c.paused {
		// Full: stop reading until the request in progress is done.
		c.paused = true
		l.interest(c)
	}
	if c.eof {
		l.ended(c, false)
		return
	}
	l.serve(c)
}

// interest updates the connection's epoll events.
func (l *loop) interest(c *loopConn) {
	var ev uint32
	if !c.eof {
		ev = unix.EPOLLRDHUP
		if !c.paused {
			ev |= unix.EPOLLIN
		}
	}
	if c.wantOut {
		ev |= unix.EPOLLOUT
	}
	unix.EpollCtl(l.ep, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: ev, Fd: int32(c.fd)})
}

// serve parses and starts requests while the connection is between
// requests with nothing left to write.
// It also ends what can go no further: a request that cannot complete
// in a full input buffer (a body encoding to more than maxInput, in small
// chunks) gets 413, and a connection whose client has closed its side is
// closed once what it sent has been served (a modeled request started
// then is canceled at once).
func (l *loop) serve(c *loopConn) {
	for !c.closed && c.state == connIdle && len(c.out) == 0 && !c.closeAfter && len(c.in) > 0 {
		if !l.parse(c) {
			break
		}
	}
	if c.closed || len(c.out) > 0 {
		return // flush, when done, brings the connection back here
	}
	idle := c.state == connIdle && !c.closeAfter
	switch {
	case idle && len(c.in) >= l.maxInput:
		l.fail(c, http.StatusRequestEntityTooLarge, "request body too large or unreadable")
	case c.eof && idle:
		l.lingerClose(c) // nothing more will come
	case c.eof:
		l.gone(c) // queued, in service or stalled, its client gone
	case c.paused && len(c.in) < l.maxInput:
		c.paused = false
		l.interest(c)
	}
}

// headerEnd returns the length of the header block at the start of b
// (through its blank line), or -1 if it is not complete.
func headerEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		if i < len(b) && b[i] == '\n' {
			return i + 1
		}
		if i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			return i + 2
		}
	}
}

// parse parses one complete request from c.in and starts it. It returns
// false when the request is not complete yet (or the connection ended).
// The requests load generators send take parseSimple's path, which does
// not allocate; the rest net/http's parser.
func (l *loop) parse(c *loopConn) bool {
	if r, ok := parseSimple(c.in, l.headerLimit()); ok {
		// Copied out before the request is taken from c.in.
		l.method, l.path = append(l.method[:0], r.method...), append(l.path[:0], r.path...)
		c.in = c.in[:copy(c.in, c.in[r.length:])]
		l.dispatch(c, l.method, l.path, r.close, r.http10)
		return true
	}
	end := headerEnd(c.in)
	if end < 0 || end > l.headerLimit() {
		if len(c.in) > l.headerLimit() {
			l.fail(c, http.StatusRequestHeaderFieldsTooLarge, "431 Request Header Fields Too Large")
		}
		return false
	}
	l.rd.Reset(c.in)
	l.br.Reset(&l.rd)
	req, err := http.ReadRequest(l.br)
	if err != nil {
		l.fail(c, http.StatusBadRequest, "400 Bad Request")
		return false
	}
	// What net/http's server checks beyond ReadRequest (which moves Host
	// out of the header: hostHeaders reads the block again).
	hosts := hostHeaders(c.in[:end])
	if req.ProtoAtLeast(1, 1) && len(hosts) == 0 && req.Method != http.MethodConnect || len(hosts) > 1 || len(hosts) == 1 && !httpguts.ValidHostHeader(hosts[0]) {
		l.fail(c, http.StatusBadRequest, "400 Bad Request: missing, repeated or malformed Host header")
		return false
	}
	continue100 := false
	if expect := req.Header["Expect"]; len(expect) > 0 {
		if !httpguts.HeaderValuesContainsToken(expect, "100-continue") {
			l.fail(c, http.StatusExpectationFailed, "417 Expectation Failed")
			return false
		}
		continue100 = req.ProtoAtLeast(1, 1)
	}
	if req.ContentLength > int64(l.cfg.MaxRequestBody) {
		l.fail(c, http.StatusRequestEntityTooLarge, "request body too large or unreadable")
		return false
	}
	n, err := io.Copy(io.Discard, io.LimitReader(req.Body, int64(l.cfg.MaxRequestBody)+1))
	switch {
	case n > int64(l.cfg.MaxRequestBody):
		l.fail(c, http.StatusRequestEntityTooLarge, "request body too large or unreadable")
		return false
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		// The body has not all arrived.
		if !c.continued && continue100 {
			c.continued = true
			l.write(c, []byte("HTTP/1.1 100 Continue\r\n\r\n"))
		}
		return false
	case err != nil:
		l.fail(c, http.StatusBadRequest, "400 Bad Request")
		return false
	}
	used := len(c.in) - l.rd.Len() - l.br.Buffered()
	c.in = c.in[:copy(c.in, c.in[used:])]
	if req.RequestURI == "*" && req.Method == http.MethodOptions {
		// net/http's server answers OPTIONS * itself (200, no body, no
		// Content-Type); it never reaches the handler.
		c.continued = false
		c.closeAfter, c.head, c.http10 = req.Close || l.draining, false, !req.ProtoAtLeast(1, 1)
		l.respond(c, http.StatusOK, nil, nil)
		return true
	}
	l.dispatch(c, []byte(req.Method), []byte(req.URL.Path), req.Close, !req.ProtoAtLeast(1, 1))
	return true
}

// hostHeaders returns the Host values of a header block, as net/http's
// server reads them (textproto: continuation lines, space and tab trimmed).
func hostHeaders(block []byte) []string {
	_, fields, _ := bytes.Cut(block, []byte("\n")) // past the request line
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(fields))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil
	}
	return h["Host"]
}

// dispatch serves a parsed request: a control path through the Service,
// anything else as a modeled request. method and path may point into
// c.in: they are not kept.
func (l *loop) dispatch(c *loopConn, method, path []byte, closeAfter, http10 bool) {
	c.continued = false
	c.closeAfter = closeAfter || l.draining
	c.head = string(method) == http.MethodHead
	c.http10 = http10
	if ok, status, header, body := l.svc.Control(method, path); ok {
		l.respond(c, status, header, body)
		return
	}
	l.start(c)
}

// start admits, queues, rejects or resets a modeled request.
func (l *loop) start(c *loopConn) {
	c.arrived = time.Now()
	c.arr = l.svc.Arrive(c.arrived, c)
	switch c.arr.Admission {
	case Rejected:
		status, header, body := l.svc.Rejection()
		l.respond(c, status, header, body)
	case Reset:
		l.reset(c)
	case Queued:
		c.state = connQueued
	default:
		l.admit(c, c.arr.InFlight, c.arrived)
	}
}

// admit puts a request in service from at with n in flight.
func (l *loop) admit(c *loopConn, n int64, at time.Time) {
	c.state, c.n, c.admitted = connService, n, at
	c.intended = l.svc.ServiceTime(c.arr.Draw, n)
	c.gen++
	l.push(loopTimer{at: l.since(at.Add(c.intended)), c: c, gen: c.gen})
}

// expire ends a request's service: accounting, then the answer.
func (l *loop) expire(c *loopConn) {
	end := time.Now()
	took := end.Sub(c.admitted)
	l.svc.Finish(c.arr.Draw.Fault, took, c.intended)
	switch c.arr.Draw.Fault {
	case upstream.FaultReset:
		l.reset(c)
	case upstream.FaultStall:
		c.state = connStalled
		if l.released {
			l.reset(c)
		}
	default:
		c.state = connIdle
		l.answer(c, took)
		l.serve(c)
	}
}

// gone handles a client that left: its request, queued or in service,
// counts as canceled and frees its place; then the connection closes.
func (l *loop) gone(c *loopConn) {
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

func (l *loop) close(c *loopConn) {
	if c.closed {
		return
	}
	c.closed = true
	c.gen++
	c.in, c.out = nil, nil // a stale deadline may keep c until it is due
	delete(l.conns, c.fd)
	unix.Close(c.fd) // also leaves the epoll set
	if l.pausedLn && !l.draining {
		l.resumeAccept()
	}
}

// reset resets the client's connection: linger 0, then close.
func (l *loop) reset(c *loopConn) {
	unix.SetsockoptLinger(c.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	c.state = connIdle
	l.close(c)
}

// write queues b and writes as much as the socket takes. Callers go on
// with serve, which starts a pipelined request once all is written.
func (l *loop) write(c *loopConn, b []byte) {
	c.out = append(c.out, b...)
	l.flush(c)
}

func (l *loop) flush(c *loopConn) {
	for len(c.out) > 0 {
		n, err := unix.Write(c.fd, c.out)
		if n > 0 {
			c.out = c.out[:copy(c.out, c.out[n:])]
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			if !c.wantOut {
				c.wantOut = true
				l.interest(c)
			}
			return
		}
		l.gone(c) // the client is gone
		return
	}
	if c.wantOut {
		c.wantOut = false
		l.interest(c)
	}
	if c.state == connIdle {
		c.since = time.Now()
		if c.closeAfter {
			l.lingerClose(c)
		}
	}
}

// lingerClose closes the connection after its last answer: it half-closes
// it, then reads and discards what the client still sends until the
// client closes or lingerFor passes.
func (l *loop) lingerClose(c *loopConn) {
	if c.lingering || c.closed {
		return
	}
	if c.eof {
		// The client has closed its side: read what it still sent, so
		// the close is not a reset that discards what is left to send.
		for range drainReads {
			if n, err := unix.Read(c.fd, l.rbuf); n <= 0 && err != unix.EINTR {
				break
			}
		}
		l.close(c)
		return
	}
	if unix.Shutdown(c.fd, unix.SHUT_WR) != nil {
		l.close(c)
		return
	}
	c.lingering, c.paused, c.wantOut = true, false, false
	c.in = c.in[:0]
	l.interest(c)
	l.push(loopTimer{at: l.since(time.Now()) + int64(lingerFor), c: c, gen: c.gen, linger: true})
}

// head appends a status line and the common headers; the caller appends
// its own header lines and the blank line.
func (l *loop) head(b []byte, c *loopConn, status int, length int) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\nDate: "...)
	if now := time.Now(); now.Unix() != l.dateSec {
		l.dateSec = now.Unix()
		l.date = now.UTC().AppendFormat(l.date[:0], http.TimeFormat)
	}
	b = append(b, l.date...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(length), 10)
	b = append(b, "\r\n"...)
	if c.closeAfter {
		b = append(b, "Connection: close\r\n"...)
	} else if c.http10 {
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	return b
}

// respond writes an answer: the status line and common headers, header
// (lines ending in CRLF), the blank line and, unless the request was
// HEAD, body.
func (l *loop) respond(c *loopConn, status int, header, body []byte) {
	b := l.head(c.out, c, status, len(body))
	b = append(b, header...)
	b = append(b, "\r\n"...)
	if !c.head {
		b = append(b, body...)
	}
	c.out = b
	l.flush(c)
}

func (l *loop) answer(c *loopConn, took time.Duration) {
	status, b, split := l.svc.AppendAnswer(l.scratch[:0], c.arr, c.n, took, c.admitted.Sub(c.arrived))
	l.respond(c, status, b[:split], b[split:])
	l.scratch = b[:0]
}

// fail answers a request that cannot be served and closes the connection
// (what follows it in the stream cannot be trusted).
func (l *loop) fail(c *loopConn, status int, msg string) {
	c.closeAfter, c.head, c.http10 = true, false, false
	c.in = c.in[:0]
	l.respond(c, status, []byte("Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"), []byte(msg+"\n"))
}
