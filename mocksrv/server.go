// Package mocksrv is poolbench's mock upstream: an http.Handler that behaves
// like a slow third-party service with a cap on requests in flight, exactly
// and observably.
//
// # Serving
//
//	srv, err := mocksrv.New(mocksrv.Config{Latency: "816ms", Cap: 2, Contention: 0.0392, Timescale: 0.01})
//	ts := httptest.NewServer(srv) // or mocksrv.Listen("127.0.0.1:0", srv)
//
// Two engines serve the same model (see ListenEngine). As an http.Handler
// the Server runs behind net/http, one goroutine per request, sleeping on
// Go timers (EngineHTTP). Listen on Linux serves it from an epoll loop on
// one thread, with deadlines kept by a timerfd (EngineLoop,
// loop_linux.go): about a quarter of the CPU per request, and the answer
// leaves at its deadline without a hand-off through the Go scheduler. The
// admission, the queue, the draws and the counters are the Server's, shared
// by both, so a Server may even be served by both at once.
//
// Every request except the two control endpoints is a modeled call:
//
//  1. Admission. With Cap > 0 at most Cap requests are in service at once
//     (requests, not TCP connections). A request beyond the cap is, by
//     Overflow: queued first in first out (a request arriving at a queue of
//     QueueLimit waiting requests is rejected instead); rejected at once
//     with RejectStatus, a Retry-After header (whole wall seconds,
//     rounded up, of RetryAfter × Timescale) and X-Mock-Retry-After (the
//     exact model duration, e.g. "1s"); or reset (the connection is
//     hijacked, its linger set to 0 and closed, so the client sees a TCP
//     reset).
//  2. Service. The service time is a latency sample stretched by
//     contention, latency × (1 + Contention × (n − 1)) with n the requests
//     in flight at admission including this one, times Timescale. The
//     handler sleeps until admission + service time (an absolute
//     deadline; timer lateness is measured and compensated, see below).
//  3. Answer. By a seeded draw per request: an injected error
//     (ErrorStatus, after the latency), a reset after the latency, a stall
//     (no answer until the client gives up or the server closes; the slot is
//     freed when the latency has passed), or 200. The body is a small JSON
//     object {"id", "status", "in_flight", "latency_seconds",
//     "queue_wait_seconds", "model_latency_seconds",
//     "model_queue_wait_seconds"} plus a "padding" string of BodyBytes bytes;
//     headers X-Mock-Latency and X-Mock-Queue-Wait carry the applied
//     (wall) service time and queue wait as Go durations in milliseconds
//     with microsecond precision ("10.123ms").
//
// A client that goes away while its request is queued or in service frees
// its place at once; the request counts as canceled.
//
// Control endpoints: GET /_mock/stats returns Stats as JSON; POST
// /_mock/reset zeroes the counters and summaries (see ResetStats) and
// returns the stats after the reset.
//
// # Counters
//
// The counters and the cap/queue state are guarded by one mutex, so every
// snapshot balances exactly:
//
//		requests = completed + rejected + reset + stalled + canceled + in_flight + queued
//
//	  - requests: modeled requests received (control endpoints and request
//	    bodies refused with 413 are not counted).
//	  - admitted: requests that got a slot, at once or from the queue.
//	  - completed: admitted requests answered after their service time, with
//	    200 or an injected error.
//	  - errors_injected: the completed requests answered with ErrorStatus.
//	  - rejected: requests answered at once with RejectStatus: overflow
//	    reject, a full queue, or a server closing while they were queued.
//	  - reset: connections reset, by overflow reset (at once) or by the
//	    reset fault (after the service time).
//	  - stalled: admitted requests that got the stall fault: they left
//	    service (freeing their slot) and will get no answer.
//	  - canceled: requests whose client went away while queued or in service.
//	  - in_flight, queued: requests in service / waiting for a slot now
//	    (gauges); peak_in_flight, peak_queued: their highest values.
//
// The summaries (p50, p90, p99, max, mean) cover the applied service time
// of every admitted request that reached the end of its service time
// (completed, reset after service, stalled), and the queue wait of every
// admitted request (0 when admitted at once), both in wall seconds and in
// model seconds (divided by Timescale). Percentiles come from log-linear
// histograms with a relative error of at most 0.4%; count, mean and max
// are exact.
//
// # Randomness and timing
//
// Request number k (counted from 1 in arrival order) draws its latency and
// fault from PCG(Seed, k), so a run is repeatable whatever the goroutine
// scheduling. Behind net/http (the loop engine has its own, see
// loop_linux.go): Go timers fire late (about 0.2–0.3 ms on Linux, more under
// load); the server keeps a moving average of that lateness, arms each
// timer that much before the deadline and, if it fires early, finishes with
// a short yield loop, so the applied service time is accurate on average.
// The waits use Go timers. On Linux, POOLBENCH_MOCK_TIMERS=precise selects
// a ppoll-based sleeper instead (sleeper_linux.go): more exact on an idle
// process, whose Go timers round up to whole milliseconds, but a goroutine
// blocked in ppoll keeps its P until sysmon retakes it, and with many
// requests sleeping at once that stalled woken requests by tens of
// milliseconds (measured with 8 sweep cells in parallel: serial 1,045 model
// s instead of 829 s with Go timers, against 816 ideal). It stays for
// measurements only.
// Stats report what was applied, measured, not what was intended.
package mocksrv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MaxRequestBody is the largest request body the mock reads; a bigger body
// is answered with 413 and not counted.
const MaxRequestBody = 1 << 20

// Server is the mock upstream, an http.Handler. Create it with New.
type Server struct {
	cfg        Config
	lat        Latency
	scale      float64
	retryAfter []string // Retry-After header value
	retryModel []string // X-Mock-Retry-After header value
	padding    string
	faults     [3]float64 // cumulative thresholds: error, reset, stall

	seq atomic.Uint64

	mu      sync.Mutex // guards c, the queue and closed
	c       Counters
	head    *waiter
	tail    *waiter
	closed  bool
	done    chan struct{}  // closed by Close
	onClose map[int]func() // called by Close (engines other than net/http)
	hookID  int

	service histogram // applied service time
	wait    histogram // queue wait

	timers timing
}

// waiter is a request queued for a slot.
type waiter struct {
	ch         chan struct{} // receives once when granted, unless notify is set
	notify     func(*waiter) // called once when granted, with Server.mu held
	owner      any           // for notify: what the waiter belongs to
	prev, next *waiter
	granted    bool      // guarded by Server.mu
	inFlight   int64     // in flight at admission, set when granted
	at         time.Time // admission time, set when granted
}

type fault uint8

const (
	faultNone fault = iota
	faultError
	faultReset
	faultStall
)

// New validates cfg, fills its defaults and returns the server.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mock config: %w", err)
	}
	cfg = cfg.WithDefaults()
	lat, err := ParseLatency(cfg.Latency)
	if err != nil {
		return nil, err
	}
	wallRetry := cfg.RetryAfter.D().Seconds() * cfg.Timescale
	s := &Server{
		cfg:        cfg,
		lat:        lat,
		scale:      cfg.Timescale,
		retryAfter: []string{strconv.Itoa(int(math.Ceil(wallRetry)))},
		retryModel: []string{cfg.RetryAfter.D().String()},
		done:       make(chan struct{}),
	}
	if cfg.BodyBytes > 0 {
		p := make([]byte, cfg.BodyBytes)
		for i := range p {
			p[i] = 'x'
		}
		s.padding = string(p)
	}
	s.faults[0] = cfg.ErrorRate
	s.faults[1] = s.faults[0] + cfg.ResetRate
	s.faults[2] = s.faults[1] + cfg.StallRate
	s.timers.compensate = true
	switch v := os.Getenv("POOLBENCH_MOCK_TIMERS"); v {
	case "", "go":
	case "precise":
		s.timers.precise = true
	default:
		return nil, fmt.Errorf("POOLBENCH_MOCK_TIMERS=%q: want go (the default) or precise, or leave it unset", v)
	}
	return s, nil
}

// Config returns the server's configuration with defaults filled.
func (s *Server) Config() Config { return s.cfg }

// Latency returns the server's parsed latency distribution.
func (s *Server) Latency() Latency { return s.lat }

// The control endpoints, served the same way by both engines.
const (
	statsPath  = "/_mock/stats" // GET or HEAD: Stats as JSON
	statsAllow = "GET, HEAD"
	resetPath  = "/_mock/reset" // POST: ResetStats, then Stats as JSON
	resetAllow = "POST"
)

// overCapacity is the body of a rejection.
const overCapacity = `{"error":"over capacity"}` + "\n"

// ServeHTTP serves a modeled request or a control endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case statsPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", statsAllow)
			http.Error(w, "use "+statsAllow, http.StatusMethodNotAllowed)
			return
		}
		s.writeStats(w)
		return
	case resetPath:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", resetAllow)
			http.Error(w, "use "+resetAllow, http.StatusMethodNotAllowed)
			return
		}
		s.ResetStats()
		s.writeStats(w)
		return
	}
	if r.Body != nil && r.ContentLength != 0 {
		if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, MaxRequestBody)); err != nil {
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
	}
	s.serve(w, r)
}

func (s *Server) writeStats(w http.ResponseWriter) {
	b, err := json.MarshalIndent(s.Stats(), "", "  ")
	if err != nil { // cannot happen: Stats holds only numbers
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, '\n'))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	id, sample, f := s.next()

	// Admission.
	ctx := r.Context()
	admitted := arrived
	adm, wt, n := s.arrive(nil, nil)
	switch adm {
	case admRejected:
		s.reject(w)
		return
	case admReset:
		resetConn(w)
		return
	case admQueued:
		if !s.awaitSlot(ctx, wt) {
			if ctx.Err() == nil { // closing, not canceled: rejected
				s.reject(w)
			}
			return
		}
		n, admitted = wt.inFlight, wt.at
	}

	// Service.
	applied := s.applied(sample, n)
	queueWait := admitted.Sub(arrived)
	s.wait.record(queueWait)
	end, ok := s.timers.sleepUntil(ctx, admitted.Add(applied))
	if !ok {
		s.cancelService()
		return
	}
	took := end.Sub(admitted)
	s.finish(f, took)

	// Answer (after freeing the slot, so a client's next request finds it).
	switch f {
	case faultReset:
		resetConn(w)
	case faultStall:
		select {
		case <-ctx.Done():
		case <-s.done:
			resetConn(w)
		}
	default:
		s.answer(w, s.status(f), id, n, took, queueWait)
	}
}

// admission is what arrive decided for a modeled request.
type admission uint8

const (
	admNow      admission = iota // in service at once
	admQueued                    // waiting in the queue for a slot
	admRejected                  // to be answered with RejectStatus at once
	admReset                     // its connection to be reset at once
)

// arrive counts a modeled request and decides its admission. It returns
// the number in flight including this request when admitted at once, or,
// when the request must wait, the waiter it queued: granted later by a
// send on its channel or, if notify is not nil, by a call to notify (made
// with s.mu held; it must not block or take s.mu). owner is kept in the
// waiter for notify's use.
func (s *Server) arrive(notify func(*waiter), owner any) (admission, *waiter, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c.Requests++
	switch {
	case s.closed:
		s.c.Rejected++
		return admRejected, nil, 0
	case s.cfg.Cap == 0 || (s.c.InFlight < int64(s.cfg.Cap) && s.head == nil):
		s.c.InFlight++
		s.c.Admitted++
		s.c.PeakInFlight = max(s.c.PeakInFlight, s.c.InFlight)
		return admNow, nil, s.c.InFlight
	case s.cfg.Overflow == OverflowReset:
		s.c.Reset++
		return admReset, nil, 0
	case s.cfg.Overflow == OverflowReject || (s.cfg.QueueLimit > 0 && s.c.Queued >= int64(s.cfg.QueueLimit)):
		s.c.Rejected++
		return admRejected, nil, 0
	}
	wt := &waiter{notify: notify, owner: owner}
	if notify == nil {
		wt.ch = make(chan struct{}, 1)
	}
	s.pushLocked(wt)
	return admQueued, wt, 0
}

// applied is the wall service time of a latency sample admitted with n in
// flight: the contention-stretched model time times the time scale.
func (s *Server) applied(sample time.Duration, n int64) time.Duration {
	return toDur(float64(s.modelService(sample, n)) * s.scale)
}

// finish accounts a request that reached the end of its service time,
// which took took, with fault f, and frees its slot.
func (s *Server) finish(f fault, took time.Duration) {
	s.service.record(took)
	s.mu.Lock()
	switch f {
	case faultReset:
		s.c.Reset++
	case faultStall:
		s.c.Stalled++
	case faultError:
		s.c.ErrorsInjected++
		s.c.Completed++
	default:
		s.c.Completed++
	}
	s.releaseLocked()
	s.mu.Unlock()
}

// cancelService accounts a request in service whose client went away and
// frees its slot.
func (s *Server) cancelService() {
	s.mu.Lock()
	s.c.Canceled++
	s.releaseLocked()
	s.mu.Unlock()
}

// status is the answer's status for fault f (faultNone or faultError).
func (s *Server) status(f fault) int {
	if f == faultError {
		return s.cfg.ErrorStatus
	}
	return http.StatusOK
}

// next numbers a modeled request (from 1, in arrival order) and draws its
// latency sample and fault.
func (s *Server) next() (id uint64, sample time.Duration, f fault) {
	id = s.seq.Add(1)
	sample, f = s.draw(id)
	return id, sample, f
}

// draw returns request id's latency sample and fault, drawn from
// PCG(Seed, id): the same for the same seed and id, whatever the scheduling.
func (s *Server) draw(id uint64) (time.Duration, fault) {
	d := drawPool.Get().(*drawer)
	d.src.Seed(s.cfg.Seed, id)
	sample := s.lat.Sample(d.rnd)
	u := d.rnd.Float64()
	drawPool.Put(d)
	switch {
	case u < s.faults[0]:
		return sample, faultError
	case u < s.faults[1]:
		return sample, faultReset
	case u < s.faults[2]:
		return sample, faultStall
	}
	return sample, faultNone
}

// drawer is a reusable seeded generator: reseeding it per request avoids
// allocating one.
type drawer struct {
	src rand.PCG
	rnd *rand.Rand
}

var drawPool = sync.Pool{New: func() any {
	d := new(drawer)
	d.rnd = rand.New(&d.src)
	return d
}}

// modelService stretches a latency sample by contention with n requests in
// flight at admission (this one included): sample × (1 + Contention × (n − 1)).
func (s *Server) modelService(sample time.Duration, n int64) time.Duration {
	if s.cfg.Contention == 0 || n <= 1 {
		return sample
	}
	return toDur(float64(sample) * (1 + s.cfg.Contention*float64(n-1)))
}

// pushLocked appends wt to the queue.
func (s *Server) pushLocked(wt *waiter) {
	if s.tail == nil {
		s.head, s.tail = wt, wt
	} else {
		wt.prev, s.tail.next, s.tail = s.tail, wt, wt
	}
	s.c.Queued++
	s.c.PeakQueued = max(s.c.PeakQueued, s.c.Queued)
}

// removeLocked takes wt out of the queue.
func (s *Server) removeLocked(wt *waiter) {
	if wt.prev != nil {
		wt.prev.next = wt.next
	} else {
		s.head = wt.next
	}
	if wt.next != nil {
		wt.next.prev = wt.prev
	} else {
		s.tail = wt.prev
	}
	wt.prev, wt.next = nil, nil
	s.c.Queued--
}

// releaseLocked frees a slot and hands it to the first queued request.
func (s *Server) releaseLocked() {
	s.c.InFlight--
	if s.head == nil || s.closed {
		return
	}
	wt := s.head
	s.removeLocked(wt)
	s.c.InFlight++
	s.c.Admitted++
	wt.granted = true
	wt.inFlight = s.c.InFlight
	wt.at = time.Now()
	if wt.notify != nil {
		wt.notify(wt)
		return
	}
	wt.ch <- struct{}{}
}

// awaitSlot waits for wt to be granted a slot. It returns false if the
// client went away (counted canceled) or the server closed (counted
// rejected) first.
func (s *Server) awaitSlot(ctx context.Context, wt *waiter) bool {
	select {
	case <-wt.ch:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return s.giveUp(wt, ctx.Err() != nil)
}

// giveUp takes queued wt out of the queue because its client went away
// (canceled, counted canceled) or the server is closing (counted
// rejected). If wt was granted a slot meanwhile, a canceled request frees
// it, and a closing one keeps it: giveUp then returns true, and the
// request is to be served.
func (s *Server) giveUp(wt *waiter, canceled bool) (holdsSlot bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if wt.granted {
		if !canceled {
			return true
		}
		s.c.Canceled++
		s.releaseLocked()
		return false
	}
	s.removeLocked(wt)
	if canceled {
		s.c.Canceled++
	} else {
		s.c.Rejected++
	}
	return false
}

var (
	jsonType = []string{"application/json"}
	noSniff  = []string{"nosniff"}
)

func (s *Server) reject(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = jsonType
	h["X-Content-Type-Options"] = noSniff
	h["Retry-After"] = s.retryAfter
	h["X-Mock-Retry-After"] = s.retryModel
	w.WriteHeader(s.cfg.RejectStatus)
	io.WriteString(w, overCapacity)
}

// resetConn resets the client's TCP connection: hijack, linger 0, close.
// Without a hijackable connection (HTTP/2, a recorder) it aborts the
// handler, which makes net/http drop the stream.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if ok {
		conn, _, err := hj.Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (s *Server) answer(w http.ResponseWriter, status int, id uint64, n int64, took, wait time.Duration) {
	bp := bufPool.Get().(*[]byte)
	b := s.appendAnswer((*bp)[:0], status, id, n, took, wait)
	// Both duration headers from one string and one slice.
	var hb [64]byte
	hv := appendMillis(hb[:0], took)
	cut := len(hv)
	hs := string(appendMillis(hv, wait))
	vals := []string{hs[:cut], hs[cut:]}
	h := w.Header()
	h["Content-Type"] = jsonType
	h["X-Mock-Latency"] = vals[:1:1]
	h["X-Mock-Queue-Wait"] = vals[1:]
	w.WriteHeader(status)
	w.Write(b)
	*bp = b
	if cap(b) <= 64<<10 {
		bufPool.Put(bp)
	}
}

// appendAnswer appends the JSON body of an answer to b.
func (s *Server) appendAnswer(b []byte, status int, id uint64, n int64, took, wait time.Duration) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"in_flight":`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `,"latency_seconds":`...)
	b = strconv.AppendFloat(b, took.Seconds(), 'g', -1, 64)
	b = append(b, `,"queue_wait_seconds":`...)
	b = strconv.AppendFloat(b, wait.Seconds(), 'g', -1, 64)
	b = append(b, `,"model_latency_seconds":`...)
	b = strconv.AppendFloat(b, took.Seconds()/s.scale, 'g', -1, 64)
	b = append(b, `,"model_queue_wait_seconds":`...)
	b = strconv.AppendFloat(b, wait.Seconds()/s.scale, 'g', -1, 64)
	if s.padding != "" {
		b = append(b, `,"padding":"`...)
		b = append(b, s.padding...)
		b = append(b, '"')
	}
	return append(b, "}\n"...)
}

// appendMillis appends d as a Go duration string in milliseconds with
// microsecond precision, like "10.123ms".
func appendMillis(b []byte, d time.Duration) []byte {
	b = strconv.AppendFloat(b, float64(d.Microseconds())/1e3, 'f', -1, 64)
	return append(b, "ms"...)
}

// Stats returns a consistent snapshot: the counters are copied under the
// lock that guards every transition, so they balance exactly.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	st := Stats{Counters: s.c, Timescale: s.scale}
	s.mu.Unlock()
	st.ServiceTime, st.ModelServiceTime = s.service.summaries(s.scale)
	st.QueueWait, st.ModelQueueWait = s.wait.summaries(s.scale)
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
	s.c = Counters{Requests: in + q, Admitted: in, InFlight: in, PeakInFlight: in, Queued: q, PeakQueued: q}
	s.service.reset()
	s.wait.reset()
}

// Close releases queued requests (answered as rejected) and stalled ones
// (their connections reset); requests arriving afterwards are rejected,
// and requests in service finish normally. Close is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	hooks := s.onClose
	s.onClose = nil
	s.mu.Unlock()
	for _, f := range hooks {
		f()
	}
}

// whenClosed registers f to be called by Close (at once if already
// closed) and returns a function that unregisters it. f must not block.
func (s *Server) whenClosed(f func()) (unregister func()) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		f()
		return func() {}
	}
	if s.onClose == nil {
		s.onClose = map[int]func(){}
	}
	s.hookID++
	id := s.hookID
	s.onClose[id] = f
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.onClose, id)
		s.mu.Unlock()
	}
}
