package mocksrv

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// ServeHTTP serves a modeled request or a control endpoint (the net/http
// engine). A request's body must arrive within BodyReadTimeout.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serveHTTP(w, r, BodyReadTimeout, false)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request, bodyTimeout time.Duration, h2 bool) {
	// What the loop engine refuses before a request is served, refused
	// alike, not counted, and the connection closed: net/http hands the
	// HTTP/2 preface ("PRI * HTTP/2.0") to its handler, and reads a
	// declared body beyond MaxRequestBody up to the limit first.
	switch {
	case r.ProtoMajor != 1 && !(h2 && r.ProtoMajor == 2):
		w.Header().Set("Connection", "close")
		http.Error(w, "505 HTTP Version Not Supported: unsupported protocol version", http.StatusHTTPVersionNotSupported)
		return
	case r.ContentLength > MaxRequestBody:
		w.Header().Set("Connection", "close")
		http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
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
		if status, msg := readBody(w, r, bodyTimeout); status != 0 {
			http.Error(w, msg, status)
			return
		}
	}
	s.serve(w, r)
}

// readBody reads and drops r's body, allowing it timeout to arrive (where
// w supports a read deadline), and returns the status and message of the
// answer when it cannot: 413 past MaxRequestBody, 408 past the deadline,
// 400 for a malformed body, as the loop engine answers. The connection
// then closes without reading on: what follows cannot be trusted.
func readBody(w http.ResponseWriter, r *http.Request, timeout time.Duration) (int, string) {
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(timeout)) == nil
	_, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err == nil {
		if deadline {
			rc.SetReadDeadline(time.Time{})
		}
		return 0, ""
	}
	w.Header().Set("Connection", "close")
	if deadline {
		rc.SetReadDeadline(time.Unix(1, 0)) // net/http reads no more of it
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, "request body too large or unreadable"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout, "408 Request Timeout: the body arrived too slowly"
	}
	return http.StatusBadRequest, "400 Bad Request: malformed body"
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
	var draw []byte
	if v := r.Header.Values(upstream.DrawHeader); len(v) == 1 {
		draw = []byte(v[0])
	}
	req := s.next(draw)
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
			abandon()
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
	end, ok := s.timers.Until(ctx, admitted.Add(intended), nil)
	if !ok {
		s.cancelService()
		abandon()
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
			abandon()
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

// abandon ends a request whose client went away without a word: net/http
// would otherwise finish it with an empty 200 (a client that only
// half-closed its side would read that as the answer). The client gets
// the real answer or nothing.
func abandon() { panic(http.ErrAbortHandler) }

// resetConn resets the client's TCP connection: hijack, linger 0, close.
// Without a hijackable connection (HTTP/2, a recorder) it aborts the
// handler, which makes net/http drop the stream.
func resetConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			raw := conn
			if wc, ok := conn.(*watchedConn); ok {
				raw = wc.Conn // closed through wc, which frees its MaxConns slot
			}
			if tc, ok := raw.(*net.TCPConn); ok {
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
