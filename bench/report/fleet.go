package report

import "fmt"

// A fleet (scenario clients: N) is N independent clients sharing the
// upstream, each with the cell's pool: every pool the report names is a
// client's, and the texts below say so once where it matters.

// clients is the number of clients the run's cells were sent by.
func (s *Summary) clients() int { return s.Results.Scenario.ClientCount() }

// perClient is " per client" for a fleet, "" otherwise.
func (s *Summary) perClient() string {
	if s.clients() > 1 {
		return " per client"
	}
	return ""
}

// fleetText describes the fleet for the recommendation: " per client (8
// clients: 16 in flight in all)", "" for one client.
func (s *Summary) fleetText(pool int) string {
	n := s.clients()
	if n < 2 {
		return ""
	}
	return fmt.Sprintf(" per client (%d clients: %d in flight in all)", n, n*pool)
}

// fleetCaption is the caption's word on the fleet, "" for one client.
func (s *Summary) fleetCaption() string {
	n := s.clients()
	if n < 2 {
		return ""
	}
	return fmt.Sprintf("%d clients share the upstream, items dealt round robin: pool is per client (%d × pool in flight in all)", n, n)
}

// fleetDescription is Describe's sentence on the fleet, "" for one
// client.
func fleetDescription(clients int) string {
	if clients < 2 {
		return ""
	}
	return fmt.Sprintf("Fleet: %d independent clients, as %d machines, share the upstream and its cap; a cell's items are dealt among them round robin, and each runs the cell's strategy with its own pool and connections, so pooled(P) keeps %d × P in flight in all.",
		clients, clients, clients)
}
