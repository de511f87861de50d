package mocksrv

// Counters are the mock's exact request counters. A snapshot always balances:
//
//	Requests = Completed + Rejected + Reset + Stalled + Canceled + InFlight + Queued
//
// ErrorsInjected counts the Completed requests answered with an injected
// error. (The implementation documents any refinement of these meanings.)
type Counters struct {
	Requests       int64 `json:"requests"`
	Admitted       int64 `json:"admitted"`
	Completed      int64 `json:"completed"`
	Rejected       int64 `json:"rejected"`
	Reset          int64 `json:"reset"`
	ErrorsInjected int64 `json:"errors_injected"`
	Stalled        int64 `json:"stalled"`
	Canceled       int64 `json:"canceled"`
	InFlight       int64 `json:"in_flight"`
	PeakInFlight   int64 `json:"peak_in_flight"`
	Queued         int64 `json:"queued"`
	PeakQueued     int64 `json:"peak_queued"`
}

// Summary describes a set of durations, in seconds.
type Summary struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Stats is what GET /_mock/stats returns: the counters plus summaries of the
// service time and queue wait, both as applied (wall seconds) and as modeled
// (applied divided by the time scale).
type Stats struct {
	Counters
	Timescale        float64 `json:"timescale"`
	ServiceTime      Summary `json:"service_time"`
	QueueWait        Summary `json:"queue_wait"`
	ModelServiceTime Summary `json:"model_service_time"`
	ModelQueueWait   Summary `json:"model_queue_wait"`
}
