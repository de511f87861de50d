//go:build linux

package loop

import (
	"net/http"
	"time"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Modeled requests: a request read whole is dispatched to a control path
// or to the Service, which admits, queues, rejects or resets it; the loop
// keeps its deadline and answers it when that passes.

// dispatch serves a parsed request: a control path through the Service,
// anything else as a modeled request. method and path are not kept.
func (l *loop) dispatch(c *conn, method, path, draw []byte, closeAfter, http10 bool) {
	c.closeAfter = closeAfter || l.draining
	c.head = string(method) == http.MethodHead
	c.http10 = http10
	if ok, status, header, body := l.svc.Control(method, path); ok {
		l.respond(c, status, header, body)
		return
	}
	l.start(c, draw)
}

// start admits, queues, rejects or resets a modeled request whose client
// keyed its draw with draw (see Service.Arrive).
func (l *loop) start(c *conn, draw []byte) {
	c.arrived = time.Now()
	c.arr = l.svc.Arrive(c.arrived, c, draw)
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
func (l *loop) admit(c *conn, n int64, at time.Time) {
	c.state, c.n, c.admitted = connService, n, at
	c.intended = l.svc.ServiceTime(c.arr.Draw, n)
	c.gen++
	l.push(loopTimer{at: l.since(at.Add(c.intended)), c: c, gen: c.gen})
}

// expire ends a request's service: accounting, then the answer.
func (l *loop) expire(c *conn) {
	took := time.Since(c.admitted)
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
