// Package fit infers a model of a service from a poolbench run against it
// (results.json and requests.jsonl): the service-time distribution (one of
// the mock's latency families, chosen by goodness of fit), the cap or
// "no cap up to N in flight", what happens past the cap (queue, reject
// with its status, reset), contention, the error rate and the network
// round trip, each with a bootstrap interval over the run's items. The fit
// is a complete scenario whose `upstream:` is the inferred service
// (Fit.Scenario), so the model (bench/model) predicts it and the embedded
// mock replays it.
//
// What is inferred, and from what:
//
//   - the service time from the successful attempts of cells that kept one
//     request in flight (serial, pool 1), less the round trip; a run
//     without such a cell cannot be fitted;
//   - the overflow from the cells with more than one request in flight:
//     rejections (429, 503) or resets in excess of what the one-in-flight
//     cells saw; the cap is then the number of successful requests the
//     service held at once;
//   - else the cap (queue) and contention together, from the ratio of
//     each cell's lower-quartile answer to the one-in-flight cells' (a
//     closed loop of k requests against m = min(k, cap) in service waits
//     k / m stretched service times), contention minimised by gonum's
//     optimizer for each candidate cap; a cap is reported only when it
//     explains the cells far better than no cap does, and never at or
//     above the largest concurrency measured;
//   - contention, whatever the overflow, from the cells at or below the
//     cap (gonum's LinearRegression through the origin);
//   - the error rate and status from the one-in-flight cells;
//   - the round trip from the median rejection (the service answers those
//     at once) when there are any, else the harness's loopback round trip
//     measured back to back (Calibration.BusyRoundTrip).
//
// Cells the harness flagged (harness.bound) measured poolbench, not the
// service: a fit from them is refused (ErrFlagged) and names them.
package fit
