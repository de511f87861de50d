package h1

import (
	"bufio"
	"bytes"
	"net/http"
)

// Watch follows the requests on one connection as net/http's server reads
// them, to learn what the server does not tell its handlers: which
// requests had both Transfer-Encoding and Content-Length (the server reads
// such a body by its chunks, drops Content-Length, and keeps the
// connection open, where RFC 9112 §6.1 says to close it after the
// answer). Feed it the connection's bytes in order; it keeps no more than
// a partial header block. At the first request it cannot frame it stops:
// net/http refuses that request and closes the connection.
type Watch struct {
	in          Input
	headerLimit int
	scanned     int
	inBody      bool
	chunked     bool
	left        int64
	chunks      Chunks
	handled     int   // requests that reach the handler (not OPTIONS *)
	suspect     []int // their numbers (from 1) when they had both
	stopped     bool
}

// NewWatch returns a Watch for a server whose header blocks are at most
// headerLimit bytes.
func NewWatch(headerLimit int) *Watch { return &Watch{headerLimit: headerLimit} }

// Suspect reports whether the n-th request (from 1) that reached the
// handler had both Transfer-Encoding and Content-Length.
func (w *Watch) Suspect(n int) bool {
	for _, s := range w.suspect {
		if s == n {
			return true
		}
	}
	return false
}

// Feed follows p, the next bytes the connection received.
func (w *Watch) Feed(p []byte) {
	if w.stopped {
		return
	}
	w.in.Add(p)
	for !w.stopped && w.in.Len() > 0 {
		b := w.in.Bytes()
		if w.inBody {
			if w.chunked {
				n, done, err := w.chunks.Feed(b)
				w.in.Consume(n)
				w.stopped = err != nil
				w.inBody = !done
			} else {
				k := min(int64(len(b)), w.left)
				w.in.Consume(int(k))
				w.left -= k
				w.inBody = w.left > 0
			}
			if w.inBody {
				return
			}
			continue
		}
		if b[0] == '\r' || b[0] == '\n' {
			w.in.Consume(1) // net/http skips these after a POST, refuses them otherwise
			continue
		}
		if s, ok := ParseSimple(b, w.headerLimit); ok {
			w.in.Consume(s.Length)
			w.handled++
			continue
		}
		end, next := HeadEnd(b, w.scanned)
		if end < 0 {
			w.scanned = next
			w.stopped = len(b) > w.headerLimit
			return
		}
		w.scanned = 0
		w.header(b[:end])
		w.in.Consume(end)
	}
	w.in.Shrink(4096)
}

// header reads a whole header block as net/http reads it.
func (w *Watch) header(block []byte) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(block)))
	if err != nil {
		w.stopped = true
		return
	}
	handled := !(req.RequestURI == "*" && req.Method == http.MethodOptions) // net/http answers OPTIONS * itself
	if handled {
		w.handled++
	}
	w.chunked, w.left, w.chunks = req.ContentLength < 0, req.ContentLength, Chunks{}
	w.inBody = true
	if handled && w.chunked && HasField(block, "Content-Length") {
		w.suspect = append(w.suspect, w.handled)
	}
}
