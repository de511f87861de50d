package mocksrv

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Summary describes a set of durations, in seconds.
type Summary struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Stats is what GET /_mock/stats returns: the counters plus summaries of
// the service time and queue wait of every admitted request, as applied
// (wall seconds) and as modeled (divided by the time scale), and of how
// late answers left after their deadline (wall seconds; negative when the
// deadline came early).
type Stats struct {
	upstream.Counters
	Timescale        float64 `json:"timescale"`
	ServiceTime      Summary `json:"service_time"`
	QueueWait        Summary `json:"queue_wait"`
	ModelServiceTime Summary `json:"model_service_time"`
	ModelQueueWait   Summary `json:"model_queue_wait"`
	Lateness         Summary `json:"lateness"`
}

// Histogram bounds: microseconds, up to upstream.MaxSample, three
// significant digits (a percentile is within 0.1% of the value it stands
// for).
const (
	histUnit   = time.Microsecond
	histMax    = int64(upstream.MaxSample / histUnit)
	histDigits = 3
	lateOffset = int64(time.Second / histUnit) // lateness is recorded shifted by 1 s, so early answers fit
)

// summaries are the server's histograms, guarded by Server.mu.
type summaries struct {
	service, wait, late durations
}

func newSummaries() summaries {
	return summaries{service: newDurations(), wait: newDurations(), late: newDurations()}
}

func (s *summaries) reset() {
	s.service.reset()
	s.wait.reset()
	s.late.reset()
}

// durations is a histogram of durations with an exact count, sum and
// maximum. A negative duration (an answer a little early) counts as 0 in
// the percentiles and as itself in the mean.
type durations struct {
	h     *hdrhistogram.Histogram
	count int64
	sum   time.Duration
	max   time.Duration
}

func newDurations() durations {
	return durations{h: hdrhistogram.New(1, histMax, histDigits)}
}

func (d *durations) record(v time.Duration) {
	us := min(max(int64(v/histUnit), 0), histMax)
	d.h.RecordValue(us) // cannot fail: us is in range
	if d.count == 0 || v > d.max {
		d.max = v
	}
	d.count++
	d.sum += v
}

func (d *durations) reset() {
	d.h.Reset()
	d.count, d.sum, d.max = 0, 0, 0
}

// summaries returns the durations in wall seconds and divided by scale.
func (d *durations) summaries(scale upstream.Scale) (applied, model Summary) {
	if d.count == 0 {
		return Summary{}, Summary{}
	}
	q := func(p float64) float64 {
		v := float64(d.h.ValueAtQuantile(p)) * histUnit.Seconds()
		return min(v, d.max.Seconds())
	}
	applied = Summary{
		Count: d.count,
		Mean:  d.sum.Seconds() / float64(d.count),
		P50:   q(50), P90: q(90), P99: q(99),
		Max: d.max.Seconds(),
	}
	model = applied
	for _, v := range []*float64{&model.Mean, &model.P50, &model.P90, &model.P99, &model.Max} {
		*v = scale.ModelSeconds(*v)
	}
	return applied, model
}
