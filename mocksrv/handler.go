package mocksrv

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// ServeHTTP serves a modeled request or a control endpoint (the net/http
// engine).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case StatsPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", StatsAllow)
			http.Error(w, "use "+StatsAllow, http.StatusMethodNotAllowed)
			return
		}
		s.writeStats(w)
		return
	case ResetPath:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", ResetAllow)
			http.Error(w, "use "+ResetAllow, http.StatusMethodNotAllowed)
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
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.AppendStats(nil))
}

// AppendStats appends the stats as indented JSON and a newline.
func (s *Server) AppendStats(b []byte) []byte {
	j, _ := json.MarshalIndent(s.Stats(), "", "  ") // numbers only: cannot fail
	return append(append(b, j...), '\n')
}

// grant is what a chanWaiter receives.
type grant struct {
	inFlight int64
	at       time.Time
}

// chanWaiter is a queued request of the net/http engine.
type chanWaiter chan grant

func (c chanWaiter) Granted(inFlight int64, at time.Time) { c <- grant{inFlight, at} }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	req := s.next()
	ctx := r.Context()

	// Admission.
	admitted := arrived
	ch := make(chanWaiter, 1)
	adm, n, q := s.arrive(arrived, ch)
	switch adm {
	case admRejected:
		s.reject(w)
		return
	case admReset:
		resetConn(w)
		return
	case admQueued:
		select {
		case g := <-ch:
			n, admitted = g.inFlight, g.at
		case <-ctx.Done():
			q.leave(true)
			return
		case <-s.done:
			if !q.leave(false) {
				s.reject(w)
				return
			}
			g := <-ch // granted just before the close
			n, admitted = g.inFlight, g.at
		}
	}

	// Service.
	intended := s.wallService(req.Draw, n)
	end, ok := s.timers.sleepUntil(ctx, admitted.Add(intended))
	if !ok {
		s.cancelService()
		return
	}
	took := end.Sub(admitted)
	s.finish(req.Fault, took, intended)

	// Answer (after freeing the slot, so a client's next request finds it).
	switch req.Fault {
	case upstream.FaultReset:
		resetConn(w)
	case upstream.FaultStall:
		select {
		case <-ctx.Done():
		case <-s.done:
			resetConn(w)
		}
	default:
		s.answer(w, Answer{Status: s.status(req.Fault), ID: req.id, InFlight: n, Took: took, Wait: admitted.Sub(arrived)})
	}
}

var (
	jsonType = []string{"application/json"}
	noSniff  = []string{"nosniff"}
)

func (s *Server) reject(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = jsonType
	h["X-Content-Type-Options"] = noSniff
	h["Retry-After"] = []string{s.retryAfter}
	h["X-Mock-Retry-After"] = []string{s.retryModel}
	w.WriteHeader(s.cfg.RejectStatus)
	io.WriteString(w, OverCapacity)
}

// resetConn resets the client's TCP connection: hijack, linger 0, close.
// Without a hijackable connection (HTTP/2, a recorder) it aborts the
// handler, which makes net/http drop the stream.
func resetConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
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

func (s *Server) answer(w http.ResponseWriter, a Answer) {
	bp := bufPool.Get().(*[]byte)
	b := s.AppendAnswer((*bp)[:0], a)
	// Both duration headers from one string and one slice.
	var hb [64]byte
	hv := appendMillis(hb[:0], a.Took)
	cut := len(hv)
	hs := string(appendMillis(hv, a.Wait))
	vals := []string{hs[:cut], hs[cut:]}
	h := w.Header()
	h["Content-Type"] = jsonType
	h["X-Mock-Latency"] = vals[:1:1]
	h["X-Mock-Queue-Wait"] = vals[1:]
	w.WriteHeader(a.Status)
	w.Write(b)
	*bp = b
	if cap(b) <= 64<<10 {
		bufPool.Put(bp)
	}
}
