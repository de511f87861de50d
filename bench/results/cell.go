package results

import (
	"fmt"
	"time"

	"github.com/poolbench/poolbench/bench/scenario"
	"github.com/poolbench/poolbench/bench/strategy"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Cell summarises one strategy × pool × repeat. Times are model seconds
// (measured seconds divided by the time scale the cell ran at) except
// WallSeconds.
type Cell struct {
	Strategy scenario.Strategy `json:"strategy"`
	// Pool is the concurrency limit: 1 for serial, 0 for unbounded and
	// adaptive.
	Pool   int `json:"pool"`
	Repeat int `json:"repeat"`
	// Limit is an adaptive cell's concurrency limit over the cell (model
	// time; its time-weighted mean, range and up to 256 points). With
	// several clients, the first client's.
	Limit *strategy.Trace `json:"limit,omitempty"`
	// Rate is a rate cell's rate ("4/s": the constant pacer's rate,
	// linear's start, sine's mean; model time), and Schedule what its
	// schedule did: the latency from each item's actual start beside
	// Latency's from its intended start, and how many items started late.
	// Both absent for the other strategies.
	Rate     *strategy.ArrivalRate `json:"rate,omitempty"`
	Schedule *Schedule             `json:"schedule,omitempty"`

	Items     int `json:"items"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Attempts counts every request sent, first attempts and retries.
	Attempts int `json:"attempts"`
	// Reconnects counts the requests the client sent again, on another
	// connection, because the server had closed the keep-alive connection
	// they were sent on before answering them (it never saw them). They are
	// not attempts: each attempt reached the server once.
	Reconnects int `json:"reconnects,omitempty"`
	// Failures counts failed items by their last error class (see
	// FailureClass), e.g. "503 after 4 attempts".
	Failures map[string]int `json:"failures,omitempty"`
	// Outcomes counts attempts by outcome: "200", "503", "reset", "timeout"...
	Outcomes map[string]int `json:"outcomes,omitempty"`

	// Timescale is the time scale the cell ran at (1: real time).
	Timescale upstream.Scale `json:"timescale"`
	// WallSeconds is the measured wall time of the cell.
	WallSeconds float64 `json:"wall_seconds"`
	// ModelWallSeconds is WallSeconds divided by the time scale.
	ModelWallSeconds float64 `json:"model_wall_seconds"`
	// Throughput is items per model second, failed ones included.
	Throughput float64 `json:"throughput"`
	// Goodput is succeeded items per model second: what reports rank.
	Goodput float64 `json:"goodput"`
	// Latency summarises per-item latency, first attempt to final answer,
	// in model seconds (see Latencies for the precision); in a rate cell,
	// from each item's intended start (Schedule).
	Latency Percentiles `json:"latency"`
	// Histogram is the item latencies' HdrHistogram (wall microseconds at
	// Timescale, three significant digits), HdrHistogram's V2 compressed
	// encoding in base64 (see Latencies.Encode): shards of a run merge
	// exactly by adding its counts. Absent in predictions and in results
	// written before it existed.
	Histogram string `json:"histogram,omitempty"`
	// Started and Ended bound the cell's items, wall clock (absent in
	// predictions): merged shards span from the earliest start to the
	// latest end.
	Started time.Time `json:"started,omitzero"`
	Ended   time.Time `json:"ended,omitzero"`

	// Connections is how many connections the client opened during the
	// cell (every client's in a fleet, every shard's in a merge; 0 in
	// results written before it was counted). Over HTTP/1.1 a connection
	// carries one request at a time; over HTTP/2 a request beyond what a
	// connection may carry at once (the server's limit on concurrent
	// streams) takes another connection.
	Connections int `json:"connections,omitempty"`

	// Upstream holds the mock's counters for this cell (absent for an
	// external target).
	Upstream *upstream.Counters `json:"upstream,omitempty"`

	// Harness is what the harness measured of itself during the cell
	// (absent in results written before it existed, and in predictions).
	Harness *Harness `json:"harness,omitempty"`

	// PredictedWallSeconds is the model's prediction in model seconds, and
	// Efficiency is predicted / measured (both 0 when not predicted).
	PredictedWallSeconds float64 `json:"predicted_wall_seconds,omitempty"`
	Efficiency           float64 `json:"efficiency,omitempty"`
	// Interval is the model's range around PredictedWallSeconds (its
	// fields sit beside it in JSON: predicted_low_seconds…); nil when not
	// predicted.
	*Interval

	// Interrupted is true when the run was stopped during this cell; items
	// not finished then are counted as failed ("canceled").
	Interrupted bool `json:"interrupted,omitempty"`
}

// Retries is the number of attempts beyond each item's first.
func (c *Cell) Retries() int { return c.Attempts - c.Items }

// Label names the cell as requests.jsonl's Attack field does:
// "pooled/p=8/r=0", and for a rate cell its rate in items per model
// second: "rate/rps=4/r=0".
func (c *Cell) Label() string {
	if c.Rate != nil {
		return fmt.Sprintf("%s/rps=%g/r=%d", c.Strategy, c.Rate.PerSecond(), c.Repeat)
	}
	return fmt.Sprintf("%s/p=%d/r=%d", c.Strategy, c.Pool, c.Repeat)
}

// PoolText is what tables print in the cell's pool column: "8", "∞",
// "auto", or a rate cell's rate, "4/s" (strategy.Kind.PoolText).
func (c *Cell) PoolText() string {
	var rate strategy.ArrivalRate
	if c.Rate != nil {
		rate = *c.Rate
	}
	return c.Strategy.Kind().PoolText(c.Pool, rate)
}

// TurnsOn says what makes the cell's answer turn on a few milliseconds,
// for the harness's reasons: a limit that follows when answers arrive (a
// strategy whose counts turn on timing, strategy.Kind.TimedCounts),
// retries that come back together, or answers due at the same instant.
func (c *Cell) TurnsOn() string {
	switch {
	case c.Strategy.Kind().TimedCounts:
		return "its limit follows when answers arrive"
	case c.Attempts > c.Items:
		return "retries that come back together meet the cap's free slots or miss them"
	}
	return "answers due at the same instant meet the cap's free slots or miss them"
}

// Bound reports whether the harness flagged the cell as measuring
// poolbench rather than the upstream.
func (c *Cell) Bound() bool { return c.Harness != nil && c.Harness.Bound }

// SetWall sets the cell's wall time, measured at scale, and the figures
// derived from it: model wall time, throughput and goodput.
func (c *Cell) SetWall(wallSeconds float64, scale upstream.Scale) {
	c.Timescale = upstream.Scale(scale.Factor())
	c.WallSeconds = wallSeconds
	c.ModelWallSeconds = scale.ModelSeconds(wallSeconds)
	c.Throughput, c.Goodput = 0, 0
	if c.ModelWallSeconds > 0 {
		c.Throughput = float64(c.Items) / c.ModelWallSeconds
		c.Goodput = float64(c.Succeeded) / c.ModelWallSeconds
	}
}

// Percentiles of item latency, in model seconds.
type Percentiles struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Harness is what the harness measured of itself during a cell: whether
// the cell's figures measure the upstream, or poolbench. Times are wall
// seconds.
type Harness struct {
	// CPU is the process's CPU time during the cell divided by the cell's
	// wall time and the machine's CPUs: the share of the machine poolbench
	// used (the cells running beside it included).
	CPU float64 `json:"cpu"`
	// Lateness is the median lateness of a probe timer that ran every 2
	// ms, which poolbench no longer runs (issue 24: nothing read it but
	// the fit, which now takes the client's wake-up from the
	// calibration): read from runs written before, where the fit still
	// stands it in for their client's wake-up; never written (their
	// lateness_p99 is ignored).
	Lateness float64 `json:"lateness_p50,omitempty"`
	// WaitLateness is how late the client's waits between attempts
	// (backoff, Retry-After) woke, on average (0 without waits).
	WaitLateness float64 `json:"wait_lateness,omitempty"`
	// UpstreamLateness is how late the embedded mock's answers left after
	// their deadlines, on average (0 for an external target).
	UpstreamLateness float64 `json:"upstream_lateness,omitempty"`
	// AddedPerAttempt is the time the harness added to each attempt, on
	// average: what the client measured beyond the time the embedded mock
	// spent queueing and serving it (the loopback round trip, both sides'
	// wake-ups and CPU), or, for an external target, the client's half of
	// the calibrated loopback round trip (the busy or the idle one, by how
	// far apart a lane's attempts are) stretched by the CPU load the cell
	// put on the machine, at most an attempt's whole time.
	AddedPerAttempt float64 `json:"added_per_attempt"`
	// Error is the estimated share of the cell's model wall time that the
	// harness, not the upstream, made (see the sweep's rule).
	Error float64 `json:"error"`
	// Sensitivity is the largest change of the cell's model wall time the
	// model finds under any overhead from half to twice the measured one:
	// about twice Error where the wall time grows smoothly with the
	// overhead, far more where the cell's answer turns on a few
	// milliseconds (the rule flags such a cell).
	Sensitivity float64 `json:"sensitivity"`
	// Bound is true when the rule finds the cell measured poolbench rather
	// than the upstream: readers leave it out of headlines,
	// recommendations and verdicts.
	Bound bool `json:"bound"`
	// Reason says why the cell is bound, in words.
	Reason string `json:"reason,omitempty"`
	// Note says how timescale auto chose the cell's scale.
	Note string `json:"note,omitempty"`
	// Explained says why a cell whose answer turns on a few milliseconds
	// is not bound: its wall time fell in one of the outcomes the model
	// predicts for it (Cell.Interval), named with its odds.
	Explained string `json:"explained,omitempty"`
}
