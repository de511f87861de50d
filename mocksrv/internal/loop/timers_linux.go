//go:build linux

package loop

import (
	"net/http"
	"time"

	"golang.org/x/sys/unix"

	"github.com/poolbench/poolbench/internal/precise"
)

// Deadlines: every request in service, lingering close and pause of the
// listener has a deadline in one heap; the timerfd is armed for the
// earliest, a low quantile of its observed lateness early, and the loop
// polls the rest of the way (package lateness). Timeouts of connections
// (header, body, idle) are checked by a housekeeping deadline.

const (
	// housekeepEvery is how often timeouts are checked at most (more often
	// when a timeout is shorter than four times that).
	housekeepEvery = time.Second
	// busyRate is the answer rate (per second) above which the loop polls
	// while requests are in service, measured over rateWindow.
	busyRate   = 5000
	rateWindow = 100 * time.Millisecond
	// maxEarly bounds how early the timerfd is armed, so how long the loop
	// may poll towards a deadline instead of sleeping.
	maxEarly    = 250 * time.Microsecond
	acceptPause = 100 * time.Millisecond
)

// loopTimer is a pending deadline: a request's end of service (c, gen),
// the end of a lingering close (c, gen, linger), housekeeping (c nil) or
// resuming accept after an error (resume).
type loopTimer struct {
	at     int64 // ns since loop.t0
	c      *conn
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

// since is the loop clock: ns since t0 (monotonic).
func (l *loop) since(t time.Time) int64 { return int64(t.Sub(l.t0)) }

func (l *loop) push(t loopTimer) { l.timers.push(t) }

// arm sets the timerfd for the earliest deadline, minus the lateness
// estimate. A failure ends the loop: it could not keep its deadlines.
func (l *loop) arm() {
	if len(l.timers) == 0 {
		return
	}
	at := l.timers[0].at - l.late
	if at == l.armedAt {
		return
	}
	if err := l.setTimer(l.mono0 + max(at, 1)); err != nil {
		l.fatal(sysError(opTimerfdSettime, err))
		return
	}
	l.armedAt = at
}

// hot reports whether the loop should poll rather than sleep at now:
// while it answers more than busyRate a second (load generators send in
// bursts, and a vCPU that halts between them answers every burst late),
// and within the lateness estimate of a deadline (the timerfd was armed
// that early). Otherwise it sleeps. docs/notes/mock.md has the
// measurements behind both.
func (l *loop) hot(now int64) bool {
	if now-l.rateStart >= int64(rateWindow) {
		l.busy = float64(l.answers) >= busyRate*float64(now-l.rateStart)/float64(time.Second)
		l.rateStart, l.answers = now, 0
	}
	return l.busy || len(l.timers) > 0 && l.timers[0].at-now <= l.late
}

// timerFired reads the timerfd and updates the lateness estimate. EAGAIN
// is a timer re-armed since it fired; any other failure ends the loop.
func (l *loop) timerFired() {
	var b [8]byte
	n, err := l.sysRead(opTimerfdRead, l.tfd, b[:])
	switch {
	case err == nil && n == 8:
	case err == nil || err == unix.EAGAIN:
		return
	default:
		l.fatal(sysError(opTimerfdRead, err))
		return
	}
	if l.armedAt == 0 {
		return
	}
	late := l.since(time.Now()) - l.armedAt
	l.armedAt = 0
	l.late = int64(precise.Next(time.Duration(l.late), time.Duration(late), precise.AnswerQuantile, maxEarly))
}

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
			l.timeouts(now)
			l.push(loopTimer{at: now + int64(l.housekeep)})
		case t.linger:
			l.close(t.c)
		default:
			l.answers++
			l.expire(t.c)
		}
	}
}

// timeouts ends the connections past a timeout, as net/http's server
// does: silent past ReadHeaderTimeout since a new connection was accepted
// or a request's first byte arrived, or past IdleTimeout between
// requests, they are closed (a partial request line gets 400 first); a
// body slower than BodyReadTimeout gets 408.
func (l *loop) timeouts(now int64) {
	for _, c := range l.conns {
		if c.state != connIdle || len(c.out) > 0 || c.lingering || c.closeAfter {
			continue
		}
		waited := time.Duration(now - l.since(c.since))
		switch {
		case c.read.phase == phaseBody:
			if past(waited, l.cfg.BodyReadTimeout) {
				l.fail(c, http.StatusRequestTimeout, "408 Request Timeout: the body arrived too slowly")
			}
		case c.in.Len() > 0 || c.requests == 0:
			switch {
			case !past(waited, l.cfg.ReadHeaderTimeout):
			case c.in.Len() > 0 && !c.read.lineOK:
				// net/http parses a partial request line at its timeout.
				l.fail(c, http.StatusBadRequest, "400 Bad Request")
			default:
				l.close(c)
			}
		case past(waited, l.cfg.IdleTimeout):
			l.close(c)
		}
	}
}

// past reports whether waited is past timeout (0: none, as net/http has it).
func past(waited, timeout time.Duration) bool { return timeout > 0 && waited > timeout }

// housekeepingEvery is how often timeouts are checked: every second, or a
// quarter of the shortest timeout, if that is shorter (10 ms at least).
func housekeepingEvery(cfg Config) time.Duration {
	every := housekeepEvery
	for _, t := range []time.Duration{cfg.ReadHeaderTimeout, cfg.BodyReadTimeout, cfg.IdleTimeout} {
		if t > 0 {
			every = min(every, max(t/4, 10*time.Millisecond))
		}
	}
	return every
}
