package mocksrv

import (
	"strconv"
	"time"
)

// The control endpoints, served the same way by both engines.
const (
	StatsPath  = "/_mock/stats" // GET or HEAD: Stats as JSON
	StatsAllow = "GET, HEAD"
	ResetPath  = "/_mock/reset" // POST: ResetStats, then Stats as JSON
	ResetAllow = "POST"
)

// OverCapacity is the body of a rejection.
const OverCapacity = `{"error":"over capacity"}` + "\n"

// Answer is what the answer to a modeled request says.
type Answer struct {
	Status   int
	ID       uint64        // the request's number, from 1
	InFlight int64         // requests in service at its admission, itself included
	Took     time.Duration // applied service time, wall
	Wait     time.Duration // time spent queued, wall
}

// AppendAnswer appends the JSON body of an answer to b: {"id", "status",
// "in_flight", "latency_seconds", "queue_wait_seconds",
// "model_latency_seconds", "model_queue_wait_seconds"}, plus "padding" of
// Config.BodyBytes bytes, and a newline.
func (s *Server) AppendAnswer(b []byte, a Answer) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, a.ID, 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(a.Status), 10)
	b = append(b, `,"in_flight":`...)
	b = strconv.AppendInt(b, a.InFlight, 10)
	b = append(b, `,"latency_seconds":`...)
	b = strconv.AppendFloat(b, a.Took.Seconds(), 'g', -1, 64)
	b = append(b, `,"queue_wait_seconds":`...)
	b = strconv.AppendFloat(b, a.Wait.Seconds(), 'g', -1, 64)
	b = append(b, `,"model_latency_seconds":`...)
	b = strconv.AppendFloat(b, s.scale.ModelSeconds(a.Took.Seconds()), 'g', -1, 64)
	b = append(b, `,"model_queue_wait_seconds":`...)
	b = strconv.AppendFloat(b, s.scale.ModelSeconds(a.Wait.Seconds()), 'g', -1, 64)
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
