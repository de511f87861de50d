package fit

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Estimate is one set of the service's parameters, inferred from the
// cells (the point estimate, or one bootstrap replicate).
type Estimate struct {
	// Service is the service time of one request alone in service.
	Service Dist
	// Candidates are every family fitted to the one-in-flight attempts,
	// best first (the point estimate only).
	Candidates []Candidate `json:"-"`
	// Mean is the mean attempt at one in flight, round trip included;
	// Median the median service time (round trip excluded), read from
	// the samples themselves, whatever the family.
	Mean, Median float64
	// Cap is the most requests in service at once; 0: none showed up to
	// MaxConc in flight.
	Cap, MaxConc int
	// Contention as in upstream.Config.
	Contention float64
	// Overflow is what happens past the cap (empty without a cap), with
	// RejectStatus for a rejection; QueueLimit is the most requests a
	// queue held waiting when requests past it were rejected (0: no
	// rejection showed, the queue is unbounded as far as the run saw).
	Overflow     upstream.Overflow
	RejectStatus int
	QueueLimit   int
	// ErrorRate is the share of one-in-flight attempts answered with an
	// error (ErrorStatus), ResetRate the share reset and StallRate the
	// share never answered before the client's timeout.
	ErrorRate   float64
	ErrorStatus int
	ResetRate   float64
	StallRate   float64
	// RoundTrip is the network round trip, in seconds; RoundTripFrom says
	// how it was measured.
	RoundTrip     float64
	RoundTripFrom string
	// Wakeup is what an attempt sent one at a time pays beyond the
	// loopback round trip for both sides waking from idle, in seconds:
	// the harness's calibration against its own mock (the median idle
	// round trip less the back-to-back one; in runs from before it was
	// recorded, the median lateness of the probe timer). It is subtracted
	// from every answer with the round trip and added back to every
	// predicted attempt; 0 when the round trip is read from rejections,
	// which carry it already.
	Wakeup float64
}

// estimate infers the parameters from the cells; family, when set, fixes
// the service-time family (bootstrap replicates keep the point's).
// loopback is the harness's calibrated round trip, wake the harness's
// wake-up from idle (model seconds, 0 when unknown).
func estimate(obs []observed, loopback, wake float64, family Family) (Estimate, bool) {
	var e Estimate
	var one []float64
	for _, o := range obs {
		e.MaxConc = max(e.MaxConc, o.conc)
		if o.conc == 1 {
			one = append(one, o.ok...)
		}
	}
	if len(one) < 2 {
		return e, false
	}
	// The faults' rates first from the one-in-flight cells, to tell the
	// cells that overflowed; then from every cell that did not, the rates
	// of requests the service admitted.
	e.ErrorStatus, e.ErrorRate, e.ResetRate, e.StallRate = faultRates(obs, func(o *observed) bool { return o.conc == 1 })
	e.Overflow, e.RejectStatus = overflowing(obs, e.ErrorRate+e.ResetRate)
	e.ErrorStatus, e.ErrorRate, e.ResetRate, e.StallRate = faultRates(obs, func(o *observed) bool { return o.overflowed == 0 })
	e.RoundTrip, e.RoundTripFrom, e.Wakeup = loopback, "the harness's median idle round trip against its own mock", wake
	var rejected []float64
	for _, o := range obs {
		if o.overflowed > 0 {
			// only where the service overflowed: an error it answers
			// with 503 after the service time is no rejection at once
			rejected = append(rejected, o.rejected...)
		}
	}
	if e.Overflow == upstream.OverflowReject && len(rejected) > 0 {
		e.RoundTrip, e.Wakeup = stat.Quantile(0.5, stat.Empirical, sorted(rejected), nil), 0
		e.RoundTripFrom = "the median rejection (answered at once)"
	}
	e.Mean = stat.Mean(one, nil)
	added := e.Added()
	service := make([]float64, len(one))
	for i, x := range one {
		service[i] = max(x-added, 1e-9)
	}
	e.Median = stat.Quantile(0.5, stat.Empirical, sorted(service), nil)
	if family == "" {
		e.Candidates = fitService(service)
		e.Service = e.Candidates[0].Dist
	} else {
		slices.Sort(service)
		d, ok := fitFamily(family, service)
		if !ok {
			return e, false
		}
		e.Service = d
	}
	if e.Overflow != "" {
		// Rejected or reset requests leave the cap's requests in service
		// (or in service and queued): the cap is the number the
		// successful ones held at once, unless their latencies show a
		// queue behind a smaller one.
		e.Cap = heldAtOnce(obs, added)
		if e.Overflow == upstream.OverflowReject {
			if c := servedAtOnce(obs, e.Cap, added, one); c < e.Cap {
				e.Overflow, e.QueueLimit, e.Cap = upstream.OverflowQueue, e.Cap-c, c
			}
		}
	} else if e.Cap, e.Contention = capAndContention(obs, added); e.Cap > 0 {
		e.Overflow = upstream.OverflowQueue
	}
	if e.Cap == 0 {
		e.Overflow, e.QueueLimit = "", 0
	}
	if c, ok := contentionBelow(obs, e.Cap, added); ok {
		e.Contention = c
	}
	return e, true
}

// faultRates are the shares of the attempts of the cells chosen that the
// service answered with an error (the most common status), reset, and
// left unanswered until the client's timeout.
func faultRates(obs []observed, chosen func(*observed) bool) (status int, errorRate, resetRate, stallRate float64) {
	errs := map[int]int{}
	var attempts, resets, stalls int
	for i := range obs {
		o := &obs[i]
		if !chosen(o) {
			continue
		}
		attempts += o.attempts
		resets += o.resets
		stalls += o.stalls
		for k, v := range o.errors {
			errs[k] += v
		}
		for k, v := range o.rejects {
			errs[k] += v
		}
	}
	if attempts == 0 {
		return 0, 0, 0, 0
	}
	n := float64(attempts)
	status, e := mostCommon(errs)
	return status, float64(e) / n, float64(resets) / n, float64(stalls) / n
}

// servedAtOnce is how many of the held requests the overflowing cells'
// service served at once, the rest waiting in a queue: a successful
// request that started while m or more others were in flight waited for
// one of them to end when only m are served, and took longer than a
// service time; with no queue it took one. So m is the largest count
// whose successes (started with at least m others in flight) have a
// median answer above 1.4 times the one-in-flight cells' median, and
// those that started with fewer do not: medians, as a busy machine's
// stalls fall on any attempt, whatever was in flight. held when none
// is. When too few answers tell (fewer than 2 on either side, for every
// m), Little's law on the means tells instead.
func servedAtOnce(obs []observed, held int, added float64, one []float64) int {
	alone := stat.Quantile(0.5, stat.Empirical, sorted(one), nil) - added
	if !(alone > 0) {
		return held
	}
	byOthers := map[int][]float64{} // others in flight at the start → service times
	for _, o := range obs {
		if o.overflowed == 0 {
			continue
		}
		for i, s := range o.okSpans {
			k := 0
			for j, t := range o.okSpans {
				// in flight at s's start (sent before it, or at once with
				// it: the client's clocks do not say which of those
				// arrived first), and not about to end (its client would
				// be the one sending s)
				if j != i && t.start <= s.start+alone/10 && t.start+t.latency > s.start+alone/10 {
					k++
				}
			}
			byOthers[k] = append(byOthers[k], s.latency-added)
		}
	}
	slow := func(xs []float64) bool {
		return stat.Quantile(0.5, stat.Empirical, sorted(xs), nil) > 1.4*alone
	}
	told := false
	for m := held - 1; m >= 1; m-- {
		var waited, served []float64
		for k, xs := range byOthers {
			if k >= m {
				waited = append(waited, xs...)
			} else {
				served = append(served, xs...)
			}
		}
		if len(waited) < 2 || len(served) < 2 {
			continue
		}
		told = true
		if slow(waited) && !slow(served) {
			return m
		}
	}
	if told {
		return held
	}
	// Too few answers on a side (requests sent at once count each other
	// in flight): Little's law instead, on means
	// without their slowest tenth: a closed loop of held requests of
	// which m are served answers after held / m service times on average.
	var ok []float64
	for _, xs := range byOthers {
		ok = append(ok, xs...)
	}
	if queued := trimmedMean(ok); len(ok) >= 3 && queued > 0 {
		return min(max(int(math.Round(float64(held)*(trimmedMean(one)-added)/queued)), 1), held)
	}
	return held
}

// trimmedMean is the mean of xs without its largest tenth (rounded
// down: all of fewer than ten).
func trimmedMean(xs []float64) float64 {
	s := sorted(xs)
	return stat.Mean(s[:len(s)-len(s)/10], nil)
}

// Added is what every attempt takes beyond the service time: the round
// trip and the client's wake-up, in seconds.
func (e Estimate) Added() float64 { return e.RoundTrip + e.Wakeup }

// contentionBelow estimates contention from the lower quartile of the
// successful attempts of the cells that kept at most capacity requests in
// flight (every request then admitted with the cell's concurrency in
// service, none queued, but the cell's first few): contention stretches
// the whole distribution, so q_k / q_1 − 1 = c × (k − 1), fitted through
// the origin by least squares (gonum's LinearRegression). A lower quartile
// is robust to the lateness a busy machine adds to some attempts, which a
// mean or a wall time is not. ok is false without a cell of 2 or more in
// flight below the cap.
func contentionBelow(obs []observed, capacity int, rtt float64) (float64, bool) {
	var one []float64
	for _, o := range obs {
		if o.conc == 1 {
			one = append(one, o.ok...)
		}
	}
	if len(one) == 0 {
		return 0, false
	}
	m1 := stat.Quantile(contentionQuantile, stat.Empirical, sorted(one), nil) - rtt
	var xs, ys []float64
	for _, o := range obs {
		if o.conc < 2 || (capacity > 0 && o.conc > capacity) || len(o.ok) < 3 {
			continue
		}
		mk := stat.Quantile(contentionQuantile, stat.Empirical, sorted(o.ok), nil) - rtt
		xs, ys = append(xs, o.live()-1), append(ys, mk/m1-1)
	}
	if len(xs) == 0 || !(m1 > 0) {
		return 0, false
	}
	_, c := stat.LinearRegression(xs, ys, nil, true)
	return math.Min(math.Max(c, 0), upstream.MaxContention), true
}

// contentionQuantile is the quantile contentionBelow compares.
const contentionQuantile = 0.25

// heldAtOnce is the most successful requests the overflowing cells held
// in service at once for at least a tenth of the time they held any (each
// attempt shortened by the round trip, half at each end, to the time the
// service held it): a brief overlap from timing jitter does not count.
func heldAtOnce(obs []observed, rtt float64) int {
	type edge struct {
		at    float64
		delta int
	}
	best := 0
	for _, o := range obs {
		if o.overflowed == 0 {
			continue
		}
		var edges []edge
		for _, s := range o.okSpans {
			from, to := s.start+rtt/2, s.start+s.latency-rtt/2
			if to > from {
				edges = append(edges, edge{from, 1}, edge{to, -1})
			}
		}
		slices.SortFunc(edges, func(a, b edge) int {
			return cmp.Or(cmp.Compare(a.at, b.at), a.delta-b.delta) // an end before a start at the same instant
		})
		held := map[int]float64{} // level → time at it
		level := 0
		for i, e := range edges {
			if i > 0 && level > 0 {
				held[level] += e.at - edges[i-1].at
			}
			level += e.delta
		}
		var busy float64
		top := 0
		for k, t := range held {
			busy += t
			top = max(top, k)
		}
		for k := top; k >= 1; k-- {
			var atLeast float64
			for l, t := range held {
				if l >= k {
					atLeast += t
				}
			}
			if atLeast >= busy/10 {
				best = max(best, k)
				break
			}
		}
	}
	return best
}

// capAndContention fits the cap and contention to the cells' lower
// quartiles: with m = min(k, cap) requests in service and the rest
// queued, a closed loop of k in flight answers each request after k / m
// service times of S_m = S × (1 + c × (m − 1)), so the ratio of a cell's
// lower quartile to the one-in-flight cells' is (k / m) × (1 + c × (m −
// 1)). For every candidate cap (none, or 1 to the largest concurrency
// less one) gonum's Nelder–Mead finds the contention minimising the
// squared log error; then the best candidate. A cap wins over none only
// when none misses the cells by more than 3% (root mean square) and the
// cap's error is under a quarter of none's: a cap is never made up from
// noise. Quartiles, unlike wall times, are robust to the stalls a busy
// machine adds to a few attempts.
func capAndContention(obs []observed, rtt float64) (capacity int, contention float64) {
	var one []float64
	for _, o := range obs {
		if o.conc == 1 {
			one = append(one, o.ok...)
		}
	}
	q1 := stat.Quantile(contentionQuantile, stat.Empirical, sorted(one), nil) - rtt
	var ks, rs []float64
	maxConc := 0
	for _, o := range obs {
		if o.conc < 2 || len(o.ok) < 3 || !(q1 > 0) {
			continue
		}
		qk := stat.Quantile(contentionQuantile, stat.Empirical, sorted(o.ok), nil) - rtt
		ks, rs = append(ks, o.live()), append(rs, math.Log(math.Max(qk, 1e-9)/q1))
		maxConc = max(maxConc, o.conc)
	}
	if len(ks) == 0 {
		return 0, 0
	}
	fit := func(c int) (sse, contention float64) {
		f := func(x float64) float64 {
			x = math.Min(math.Abs(x), upstream.MaxContention)
			var s float64
			for i, k := range ks {
				m := k
				if c > 0 {
					m = math.Min(k, float64(c))
				}
				d := rs[i] - math.Log(k/m*(1+x*(m-1)))
				s += d * d
			}
			return s
		}
		p := optimize.Problem{Func: func(x []float64) float64 { return f(x[0]) }}
		best, bestX := f(0), 0.0
		if r, err := optimize.Minimize(p, []float64{0.05}, minimizeSettings(), &optimize.NelderMead{}); err == nil && r.F < best {
			best, bestX = r.F, math.Abs(r.X[0])
		}
		return best, math.Min(bestX, upstream.MaxContention)
	}
	noneErr, noneC := fit(0)
	bestCap, bestErr, bestCont := 0, math.Inf(1), 0.0
	for c := 1; c < maxConc; c++ {
		if e, x := fit(c); e < bestErr {
			bestCap, bestErr, bestCont = c, e, x
		}
	}
	if bestCap > 0 && noneErr/float64(len(ks)) > 0.03*0.03 && bestErr < noneErr/4 {
		return bestCap, bestCont
	}
	return 0, noneC
}

// overflowing says whether cells overflowed the service, and how: reject
// (with the status) when a cell with more than one request in flight saw
// more 429s or 503s than the one-in-flight failure rate base explains,
// reset when it saw more resets; "" when none did. It marks the cells
// that did (observed.overflowed).
func overflowing(obs []observed, base float64) (upstream.Overflow, int) {
	rejects := map[int]int{}
	var excessRejects, excessResets float64
	for i := range obs {
		o := &obs[i]
		o.overflowed = 0
		if o.conc <= 1 {
			continue
		}
		n := 0
		for _, v := range o.rejects {
			n += v
		}
		allowed := base*float64(o.attempts) + 3*math.Sqrt(base*float64(o.attempts)) + 2
		if float64(n) > allowed {
			excessRejects += float64(n) - allowed
			o.overflowed += n
			for k, v := range o.rejects {
				rejects[k] += v
			}
		}
		if float64(o.resets) > allowed {
			excessResets += float64(o.resets) - allowed
			o.overflowed += o.resets
		}
	}
	switch {
	case excessRejects > 0 && excessRejects >= excessResets:
		status, _ := mostCommon(rejects)
		return upstream.OverflowReject, status
	case excessResets > 0:
		return upstream.OverflowReset, 0
	}
	return "", 0
}

// mostCommon is the key with the largest count (the smallest key on a
// tie) and its count.
func mostCommon(m map[int]int) (key, n int) {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if m[k] > n {
			key, n = k, m[k]
		}
	}
	return key, n
}

func sorted(xs []float64) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}

// minimizeSettings bound one contention fit: a one-dimensional problem
// converges in a few dozen evaluations.
func minimizeSettings() *optimize.Settings {
	return &optimize.Settings{FuncEvaluations: 200,
		Converger: &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-9, Iterations: 10}}
}
