package mocksrv

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/internal/precise"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// MaxRequestBody is the largest request body the mock reads; a bigger body
// is answered with 413 and not counted.
const MaxRequestBody = 1 << 20

// Server is the mock upstream: the model of a capped service (admission,
// queue, draws, counters) and an http.Handler serving it. Create it with
// New.
type Server struct {
	cfg        upstream.Config
	lat        upstream.Latency
	scale      upstream.Scale
	retryAfter string // Retry-After header value, whole wall seconds
	retryModel string // X-Mock-Retry-After header value, model time
	padding    string
	// rejection is the loop engine's rejection header lines, built once:
	// a burst of rejections costs no allocation.
	rejection []byte

	seq     atomic.Uint64
	drawers sync.Pool // *upstream.Drawer

	mu         sync.Mutex // guards everything below
	c          upstream.Counters
	head, tail *queued
	closed     bool
	done       chan struct{} // closed by Close
	stats      summaries

	// timers times the net/http engine's answers (precise.NewAnswerSleeper).
	timers *precise.Sleeper
}

// New validates cfg, fills its defaults and returns the server.
func New(cfg upstream.Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mock config: %w", err)
	}
	cfg = cfg.WithDefaults()
	lat, err := upstream.ParseLatency(cfg.Latency)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:        cfg,
		lat:        lat,
		scale:      cfg.Timescale,
		retryAfter: strconv.Itoa(int(math.Ceil(cfg.Timescale.WallSeconds(cfg.RetryAfter.D().Seconds())))),
		retryModel: cfg.RetryAfter.D().String(),
		done:       make(chan struct{}),
		stats:      newSummaries(),
	}
	s.drawers.New = func() any { return upstream.NewDrawer(cfg, lat) }
	s.rejection = []byte("Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nRetry-After: " + s.retryAfter +
		"\r\nX-Mock-Retry-After: " + s.retryModel + "\r\n")
	if cfg.BodyBytes > 0 {
		p := make([]byte, cfg.BodyBytes)
		for i := range p {
			p[i] = 'x'
		}
		s.padding = string(p)
	}
	s.timers = precise.NewAnswerSleeper()
	return s, nil
}

// Config returns the server's configuration with defaults filled.
func (s *Server) Config() upstream.Config { return s.cfg }

// Latency returns the server's parsed latency distribution.
func (s *Server) Latency() upstream.Latency { return s.lat }

// Done is closed when the server is closed.
func (s *Server) Done() <-chan struct{} { return s.done }

// request is one modeled request as the model numbers and draws it.
type request struct {
	id uint64
	upstream.Draw
}

// next numbers a modeled request (from 1, in arrival order) and draws it:
// by the key its client sent in draw (an upstream.DrawHeader value), else
// by that number.
func (s *Server) next(draw []byte) request {
	id := s.seq.Add(1)
	key, ok := upstream.ParseDrawKey(draw)
	if !ok {
		key = id
	}
	d := s.drawers.Get().(*upstream.Drawer)
	r := request{id, d.Draw(key)}
	s.drawers.Put(d)
	return r
}

// wallService is the wall time r serves when admitted with inFlight in
// service.
func (s *Server) wallService(r upstream.Draw, inFlight int64) time.Duration {
	return s.scale.Wall(s.cfg.ServiceTime(r.Sample, inFlight))
}

// admission is what arrive decided for a modeled request.
type admission uint8

const (
	admNow      admission = iota // in service at once
	admQueued                    // waiting in the queue for a slot
	admRejected                  // to be answered with RejectStatus at once
	admReset                     // its connection to be reset at once
)

// waiter is told when its queued request is granted a slot. Granted is
// called once, with the server's lock held: it must not block or call the
// Server.
type waiter interface {
	Granted(inFlight int64, at time.Time)
}

// queued is a request waiting in the queue.
type queued struct {
	s          *Server
	w          waiter
	arrived    time.Time
	prev, next *queued
	granted    bool // guarded by s.mu
}

// arrive counts a modeled request that arrived at now and decides its
// admission. It returns the number in service including this request when
// admitted at once; when the request must wait, the queue entry it took,
// granted later through w.
func (s *Server) arrive(now time.Time, w waiter) (admission, int64, *queued) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Requests++
	switch {
	case s.closed:
		s.c.Rejected++
		return admRejected, 0, nil
	case s.cfg.Cap == 0 || (s.c.InFlight < int64(s.cfg.Cap) && s.head == nil):
		s.admitLocked(0)
		return admNow, s.c.InFlight, nil
	case s.cfg.Overflow == upstream.OverflowReset:
		s.c.Reset++
		return admReset, 0, nil
	case s.cfg.Overflow == upstream.OverflowReject || (s.cfg.QueueLimit > 0 && s.c.Queued >= int64(s.cfg.QueueLimit)):
		s.c.Rejected++
		return admRejected, 0, nil
	}
	q := &queued{s: s, w: w, arrived: now}
	if s.tail == nil {
		s.head, s.tail = q, q
	} else {
		q.prev, s.tail.next, s.tail = s.tail, q, q
	}
	s.c.Queued++
	s.c.PeakQueued = max(s.c.PeakQueued, s.c.Queued)
	return admQueued, 0, q
}

// admitLocked puts a request in service after waiting wait in the queue.
func (s *Server) admitLocked(wait time.Duration) {
	s.c.InFlight++
	s.c.Admitted++
	s.c.PeakInFlight = max(s.c.PeakInFlight, s.c.InFlight)
	s.stats.wait.record(wait)
}

// removeLocked takes q out of the queue.
func (s *Server) removeLocked(q *queued) {
	if q.prev != nil {
		q.prev.next = q.next
	} else {
		s.head = q.next
	}
	if q.next != nil {
		q.next.prev = q.prev
	} else {
		s.tail = q.prev
	}
	q.prev, q.next = nil, nil
	s.c.Queued--
}

// releaseLocked frees a slot and grants it to the first queued request.
func (s *Server) releaseLocked() {
	s.c.InFlight--
	if s.head == nil || s.closed {
		return
	}
	q := s.head
	s.removeLocked(q)
	now := time.Now()
	s.admitLocked(now.Sub(q.arrived))
	q.granted = true
	q.w.Granted(s.c.InFlight, now)
}

// leave takes q out of the queue because its client went away (canceled:
// counted canceled) or the server is closing (counted rejected). If q was
// granted a slot meanwhile, a canceled request frees it and a closing one
// keeps it: leave then reports true, and the request is to be served.
func (q *queued) leave(canceled bool) (holdsSlot bool) {
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.granted {
		if !canceled {
			return true
		}
		s.c.Canceled++
		s.releaseLocked()
		return false
	}
	s.removeLocked(q)
	if canceled {
		s.c.Canceled++
	} else {
		s.c.Rejected++
	}
	return false
}

// finish accounts a request that reached the end of its service time with
// fault f, after took in service where intended was due, and frees its
// slot.
func (s *Server) finish(f upstream.Fault, took, intended time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.service.record(took)
	s.stats.late.record(took - intended)
	switch f {
	case upstream.FaultReset:
		s.c.Reset++
	case upstream.FaultStall:
		s.c.Stalled++
	case upstream.FaultError:
		s.c.ErrorsInjected++
		s.c.Completed++
	default:
		s.c.Completed++
	}
	s.releaseLocked()
}

// cancelService accounts a request in service whose client went away and
// frees its slot.
func (s *Server) cancelService() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Canceled++
	s.releaseLocked()
}

// status is the answer's status for fault f (FaultNone or FaultError).
func (s *Server) status(f upstream.Fault) int {
	if f == upstream.FaultError {
		return s.cfg.ErrorStatus
	}
	return 200
}

// Stats returns a consistent snapshot: the counters are copied under the
// lock that guards every transition, so they balance exactly.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Counters: s.c, Timescale: s.scale.Factor()}
	st.ServiceTime, st.ModelServiceTime = s.stats.service.summaries(s.scale)
	st.QueueWait, st.ModelQueueWait = s.stats.wait.summaries(s.scale)
	st.Lateness, _ = s.stats.late.summaries(s.scale)
	return st
}

// ResetStats zeroes the counters and summaries between measurements. The
// gauges stay true: requests in service or queued at the reset are counted
// as requests (and the in-service ones as admitted) of the new period, so
// the balance holds; the peaks restart from the current gauges.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, q := s.c.InFlight, s.c.Queued
	s.c = upstream.Counters{Requests: in + q, Admitted: in, InFlight: in, PeakInFlight: in, Queued: q, PeakQueued: q}
	s.stats.reset()
}

// Close releases queued requests (answered as rejected) and stalled ones
// (their connections reset); requests arriving afterwards are rejected,
// and requests in service finish normally. Close is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}
