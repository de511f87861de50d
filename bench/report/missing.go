package report

import "fmt"

// inflightMissing says why the in-flight chart, which only requests.jsonl
// can draw, is not drawn ("" when it is): absent is why there is no
// requests.jsonl to read, when reqs is nil.
func inflightMissing(s *Summary, reqs *requestData, absent string) string {
	cell := inflightCell(s).Label()
	why := ""
	switch {
	case reqs == nil:
		why = absent
	case len(reqs.inflightOf(cell).starts) > 0:
		return ""
	case reqs.records == 0:
		why = "requests.jsonl holds no attempt"
	case reqs.unknown == reqs.records:
		why = fmt.Sprintf("requests.jsonl holds attempts of cells results.json does not have (%d, the first %s): it is another run's", reqs.unknown, reqs.firstUnknown)
	default:
		why = fmt.Sprintf("requests.jsonl holds no attempt of %s", cell)
		if reqs.unknown > 0 {
			why += fmt.Sprintf(", and %d of cells results.json does not have (the first %s)", reqs.unknown, reqs.firstUnknown)
		}
	}
	return fmt.Sprintf("The chart of requests in flight over time (%s) is not drawn: %s.", cell, why)
}
