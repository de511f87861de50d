package fit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"

	"gonum.org/v1/gonum/stat"

	"github.com/poolbench/poolbench/bench/model"
	"github.com/poolbench/poolbench/bench/results"
	"github.com/poolbench/poolbench/bench/scenario"
)

// observed is what one measured cell says of the service, in model
// seconds: its attempts, and their tally by outcome (tally).
type observed struct {
	label    string
	conc     int // requests the client kept in flight
	items    int
	attempts int
	wall     float64
	// latency and code are every attempt's latency and HTTP status (0: no
	// answer), the bootstrap's unit; okSpans the successful ones' starts
	// and latencies, in the order they were recorded (not resampled: they
	// say how many the service held at once).
	latency []float64
	code    []int
	okSpans []span
	// resetShare and stallShare are the shares of the unanswered
	// attempts that were reset and that timed out (the cell's outcome
	// counts: the records do not tell them apart).
	resetShare, stallShare float64

	// The tally of latency and code:
	ok       []float64 // successful attempts' latencies
	rejected []float64 // 429 and 503 answers' latencies
	rejects  map[int]int
	errors   map[int]int // other HTTP errors by status
	noAnswer int         // resets, timeouts, connection failures
	resets   int         // noAnswer × resetShare, rounded
	stalls   int         // noAnswer × stallShare, rounded
	// overflowed counts the rejections and resets beyond the base rate
	// (set by overflowing).
	overflowed int
}

// observe turns a cell and its records into what the fit uses; clients
// is the run's fleet (its requests in flight are every client's).
func observe(c *results.Cell, a *attempts, clients int) (observed, error) {
	conc, err := model.FleetConcurrency(c.Strategy, c.Pool, c.Items, clients)
	if err != nil {
		return observed{}, fmt.Errorf("cell %s: %w", c.Label(), err)
	}
	if a == nil || len(a.latency) == 0 {
		return observed{}, fmt.Errorf("%w: requests.jsonl has no attempt of cell %s", ErrCannotFit, c.Label())
	}
	o := observed{label: c.Label(), conc: conc, items: c.Items, attempts: len(a.latency), wall: c.ModelWallSeconds}
	unanswered := 0
	for i, lat := range a.latency {
		m := c.Timescale.ModelSeconds(lat)
		o.latency, o.code = append(o.latency, m), append(o.code, a.code[i])
		if a.code[i] >= 200 && a.code[i] < 300 {
			o.okSpans = append(o.okSpans, span{c.Timescale.ModelSeconds(a.start[i]), m})
		}
		if a.code[i] == 0 {
			unanswered++
		}
	}
	if unanswered > 0 {
		o.resetShare = math.Min(float64(c.Outcomes[scenario.OutcomeReset])/float64(unanswered), 1)
		o.stallShare = math.Min(float64(c.Outcomes[scenario.OutcomeTimeout])/float64(unanswered), 1-o.resetShare)
	}
	o.tally()
	return o, nil
}

// tally sorts the attempts by outcome.
func (o *observed) tally() {
	o.ok, o.rejected, o.rejects, o.errors, o.noAnswer = nil, nil, map[int]int{}, map[int]int{}, 0
	for i, m := range o.latency {
		switch code := o.code[i]; {
		case code >= 200 && code < 300:
			o.ok = append(o.ok, m)
		case isReject(code):
			o.rejected = append(o.rejected, m)
			o.rejects[code]++
		case code >= 400:
			o.errors[code]++
		default:
			o.noAnswer++
		}
	}
	o.resets = int(math.Round(float64(o.noAnswer) * o.resetShare))
	o.stalls = int(math.Round(float64(o.noAnswer) * o.stallShare))
}

// resample draws every cell's attempts again with replacement, outcome
// and latency together, and scales its wall time by the ratio of the
// resampled mean success to the measured one (the cell's wall time is
// its answers' time, lane by lane).
func resample(obs []observed, rng *rand.Rand) []observed {
	out := make([]observed, len(obs))
	for i, o := range obs {
		r := o
		n := len(o.latency)
		r.latency, r.code = make([]float64, n), make([]int, n)
		for j := range n {
			k := rng.IntN(n)
			r.latency[j], r.code[j] = o.latency[k], o.code[k]
		}
		r.tally()
		if len(o.ok) > 0 && len(r.ok) > 0 {
			r.wall = o.wall * stat.Mean(r.ok, nil) / stat.Mean(o.ok, nil)
		}
		out[i] = r
	}
	return out
}

// live is the mean number of the cell's requests in flight that the
// service was still to answer: its concurrency less the time the client
// spent waiting out stalls (unanswered attempts, in the stall share),
// over the cell's wall time.
func (o *observed) live() float64 {
	if o.stallShare == 0 || !(o.wall > 0) {
		return float64(o.conc)
	}
	var stalled float64
	for i, m := range o.latency {
		if o.code[i] == 0 {
			stalled += m
		}
	}
	return math.Max(float64(o.conc)-o.stallShare*stalled/o.wall, 1)
}

// span is an attempt's start and latency, in model seconds.
type span struct{ start, latency float64 }

// isReject says whether an HTTP status is a rejection the mock can model.
func isReject(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable
}
