package mocksrv

import (
	"net/http"
	"time"

	"github.com/poolbench/poolbench/mocksrv/internal/loop"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// loopService is a Server as the loop engine sees it (loop.Service).
type loopService struct{ s *Server }

func (a loopService) Arrive(now time.Time, w loop.Waiter, draw []byte) loop.Arrival {
	r := a.s.next(draw)
	adm, n, q := a.s.arrive(now, w)
	arr := loop.Arrival{ID: r.id, Draw: r.Draw, InFlight: n}
	switch adm {
	case admNow:
		arr.Admission = loop.Admitted
	case admQueued:
		arr.Admission, arr.Place = loop.Queued, q
	case admRejected:
		arr.Admission = loop.Rejected
	case admReset:
		arr.Admission = loop.Reset
	}
	return arr
}

func (a loopService) ServiceTime(d upstream.Draw, inFlight int64) time.Duration {
	return a.s.wallService(d, inFlight)
}

func (a loopService) Finish(f upstream.Fault, took, intended time.Duration) {
	a.s.finish(f, took, intended)
}

func (a loopService) CancelService() { a.s.cancelService() }

func (a loopService) Done() <-chan struct{} { return a.s.done }

func (a loopService) AppendAnswer(b []byte, r loop.Arrival, inFlight int64, took, wait time.Duration) (int, []byte, int) {
	b = append(b, "Content-Type: application/json\r\nX-Mock-Latency: "...)
	b = appendMillis(b, took)
	b = append(b, "\r\nX-Mock-Queue-Wait: "...)
	b = appendMillis(b, wait)
	b = append(b, "\r\n"...)
	split := len(b)
	status := a.s.status(r.Draw.Fault)
	b = a.s.AppendAnswer(b, Answer{Status: status, ID: r.ID, InFlight: inFlight, Took: took, Wait: wait})
	return status, b, split
}

func (a loopService) Rejection() (int, []byte, []byte) {
	return a.s.cfg.RejectStatus, a.s.rejection, overCapacity
}

// overCapacity is OverCapacity as the loop engine writes it.
var overCapacity = []byte(OverCapacity)

func (a loopService) Control(method, path []byte) (bool, int, []byte, []byte) {
	var allow string
	switch string(path) {
	case StatsPath:
		if string(method) == http.MethodGet || string(method) == http.MethodHead {
			return true, http.StatusOK, []byte("Content-Type: application/json\r\n"), a.s.AppendStats(nil)
		}
		allow = StatsAllow
	case ResetPath:
		if string(method) == http.MethodPost {
			a.s.ResetStats()
			return true, http.StatusOK, []byte("Content-Type: application/json\r\n"), a.s.AppendStats(nil)
		}
		allow = ResetAllow
	default:
		return false, 0, nil, nil
	}
	// As http.Error writes it.
	h := "Allow: " + allow + "\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
	return true, http.StatusMethodNotAllowed, []byte(h), []byte("use " + allow + "\n")
}

// Leave implements loop.Place.
func (q *queued) Leave(canceled bool) bool { return q.leave(canceled) }
