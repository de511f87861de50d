package upstream

import "fmt"

// Counters are the upstream's exact request counters, as the mock counts
// them and the model simulates them. A snapshot always balances (see
// Balanced):
//
//		Requests = Completed + Rejected + Reset + Stalled + Canceled + InFlight + Queued
//
//	  - Requests: modeled requests received.
//	  - Admitted: requests that got a slot, at once or from the queue.
//	  - Completed: admitted requests answered after their service time, with
//	    200 or an injected error; ErrorsInjected counts the latter.
//	  - Rejected: requests answered at once with the reject status: overflow
//	    reject, a full queue, or an upstream closing while they were queued.
//	  - Reset: connections reset, by overflow reset (at once) or by the reset
//	    fault (after the service time).
//	  - Stalled: admitted requests that got the stall fault: they left service
//	    (freeing their slot) and get no answer.
//	  - Canceled: requests whose client went away while queued or in service.
//	  - InFlight, Queued: requests in service and waiting for a slot now
//	    (gauges); PeakInFlight, PeakQueued: their highest values.
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

// Balanced reports an error when c breaks the balance above, or a counter
// is negative: the counters were read or written wrongly.
func (c Counters) Balanced() error {
	sum := c.Completed + c.Rejected + c.Reset + c.Stalled + c.Canceled + c.InFlight + c.Queued
	if sum != c.Requests {
		return fmt.Errorf("counters do not balance: requests %d, but completed %d + rejected %d + reset %d + stalled %d + canceled %d + in flight %d + queued %d = %d",
			c.Requests, c.Completed, c.Rejected, c.Reset, c.Stalled, c.Canceled, c.InFlight, c.Queued, sum)
	}
	for _, v := range []int64{c.Requests, c.Admitted, c.Completed, c.Rejected, c.Reset, c.ErrorsInjected, c.Stalled, c.Canceled, c.InFlight, c.PeakInFlight, c.Queued, c.PeakQueued} {
		if v < 0 {
			return fmt.Errorf("a counter is negative: %+v", c)
		}
	}
	return nil
}
