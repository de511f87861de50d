package results

import "fmt"

// RecommendFleet is Recommend for cells measured (or predicted) with
// clients independent clients sharing the upstream (scenario clients: N):
// the pool it names is each client's, and with clients > 1 the
// recommendation records the fleet (Clients) and its reason says so, with
// the requests the whole fleet keeps in flight. clients < 2 is Recommend.
func RecommendFleet(cells []Cell, clients int) *Recommendation {
	rec := Recommend(cells)
	if rec == nil || clients < 2 {
		return rec
	}
	rec.Clients = clients
	rec.Reason = fmt.Sprintf("per client, with %d clients sharing the upstream (%d × %d = %d in flight in all): %s",
		clients, clients, rec.Pool, clients*rec.Pool, rec.Reason)
	return rec
}

// Recommend is r's recommendation: RecommendFleet over r's cells with
// its scenario's clients.
func (r *Results) Recommend() *Recommendation {
	return RecommendFleet(r.Cells, r.Scenario.ClientCount())
}
