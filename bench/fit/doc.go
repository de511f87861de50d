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
//   - the cap and contention together, by least squares of every cell's
//     log wall time against the model's closed formula (model.ExactWall),
//     contention minimised by gonum's optimizer for each candidate cap; a
//     cap is reported only when it explains the cells better than no cap
//     does, and never at or above the largest concurrency measured;
//   - the overflow from the outcomes past the cap: rejections (429, 503)
//     or resets in excess of what the one-in-flight cells saw, else queue;
//   - the error rate and status from the one-in-flight cells;
//   - the round trip from the median rejection (the service answers those
//     at once) when there are any, else the harness's calibrated loopback
//     round trip.
//
// Cells the harness flagged (harness.bound) measured poolbench, not the
// service: a fit from them is refused (ErrFlagged) and names them.
package fit
