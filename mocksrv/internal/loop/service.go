// Package loop is the mock's loop engine: it serves a modeled upstream
// (a Service) over HTTP/1.x from one epoll loop on one locked OS thread,
// keeping every deadline with a timerfd. It has no goroutine, Go timer or
// allocation per request. It needs Linux; elsewhere Listen returns
// ErrUnsupported.
//
// The loop owns the HTTP framing (parsing requests, writing answers,
// keep-alive, timeouts, limits); the Service owns the model (admission,
// queue, draws, counters) and the content of answers, through the narrow
// interface below.
package loop

import (
	"errors"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// ErrUnsupported is returned by Listen where the engine cannot run.
var ErrUnsupported = errors.New("the loop engine needs Linux (epoll, timerfd)")

// Admission is what the Service decided for an arriving modeled request.
type Admission uint8

// The admissions.
const (
	// Admitted: in service at once.
	Admitted Admission = iota
	// Queued: waiting for a slot; the Service calls the Waiter's Granted.
	Queued
	// Rejected: to be answered at once with the Service's rejection.
	Rejected
	// Reset: its connection to be reset at once.
	Reset
)

// Arrival is a modeled request as the Service numbered, drew and admitted
// it.
type Arrival struct {
	ID        uint64
	Draw      upstream.Draw
	Admission Admission
	// InFlight is the number in service at admission, this request
	// included (Admitted only; a Queued request learns it from Granted).
	InFlight int64
	// Place is its place in the queue (Queued only).
	Place Place
}

// Place is a request's place in the Service's queue.
type Place interface {
	// Leave takes the request out of the queue because its client went
	// away (canceled) or the Service is closing. It reports whether the
	// request had been granted a slot meanwhile and still holds it (only
	// when closing: the request is then to be served).
	Leave(canceled bool) (holdsSlot bool)
}

// Waiter is told when its queued request is granted a slot. Granted is
// called once, possibly from another goroutine, with the Service's lock
// held: it must not block or call the Service.
type Waiter interface {
	Granted(inFlight int64, at time.Time)
}

// Service is the modeled upstream a loop serves. Every method is safe for
// concurrent use: the Service may be served by other engines at once.
type Service interface {
	// Arrive numbers and draws a modeled request that arrived at now and
	// decides its admission; w is told when a queued request is granted.
	// draw is the value of the request's upstream.DrawHeader, nil when it
	// had none (not kept).
	Arrive(now time.Time, w Waiter, draw []byte) Arrival
	// ServiceTime is the wall time a request with draw d serves when
	// admitted with inFlight in service.
	ServiceTime(d upstream.Draw, inFlight int64) time.Duration
	// Finish accounts a request that reached the end of its service time
	// with fault f after took in service, where intended was due, and
	// frees its slot.
	Finish(f upstream.Fault, took, intended time.Duration)
	// CancelService accounts a request in service whose client went away,
	// and frees its slot.
	CancelService()
	// AppendAnswer appends to b the answer to request a, admitted with
	// inFlight in service, that served took after waiting wait: header
	// lines (each ending in CRLF), then the body, which starts at split.
	AppendAnswer(b []byte, a Arrival, inFlight int64, took, wait time.Duration) (status int, out []byte, split int)
	// Rejection is the answer to a rejected request: its status, the
	// header lines (each ending in CRLF) and the body.
	Rejection() (status int, header, body []byte)
	// Control answers a request to a control path: handled reports whether
	// path is one; then status, header lines and body (a status 405 tells
	// the allowed methods in its header lines). method and path are not
	// kept.
	Control(method, path []byte) (handled bool, status int, header, body []byte)
	// Done is closed when the Service closes: queued requests are then
	// rejected and stalled ones reset.
	Done() <-chan struct{}
}

// Config are the loop's limits, as net/http's server has them (a zero
// timeout: none).
type Config struct {
	// ReadHeaderTimeout bounds how long a request's header block may take
	// to arrive once it has begun, and how long a new connection may stay
	// silent; the connection is closed past it.
	ReadHeaderTimeout time.Duration
	// BodyReadTimeout bounds how long a request's body may take to
	// arrive once its header block has (408 past it).
	BodyReadTimeout time.Duration
	// IdleTimeout bounds how long a connection may wait between requests.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's header block.
	MaxHeaderBytes int
	// MaxRequestBody bounds a request's body (413 past it).
	MaxRequestBody int
	// MaxConns caps open connections (0: none).
	MaxConns int
}
