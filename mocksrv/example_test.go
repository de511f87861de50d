package mocksrv_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/poolbench/poolbench/mocksrv"
	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// The seed's upstream, 10 times faster: 816 ms a request, at most 2 in
// flight, 3.92% slower per extra request in flight. Four requests at once:
// two are served, two wait in the queue.
func Example() {
	srv, err := mocksrv.New(upstream.Config{Latency: "816ms", Cap: 2, Contention: 0.0392, Timescale: 0.1})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			resp, err := http.Get(ts.URL)
			if err != nil {
				panic(err)
			}
			resp.Body.Close()
		})
	}
	wg.Wait()

	st := srv.Stats()
	fmt.Println("requests", st.Requests, "completed", st.Completed, "peak in flight", st.PeakInFlight)
	fmt.Println("balanced:", st.Requests == st.Completed+st.Rejected+st.Reset+st.Stalled+st.Canceled+st.InFlight+st.Queued)
	fmt.Println("model service time at least 816ms:", st.ModelServiceTime.P50 >= 0.816*0.996)
	// Output:
	// requests 4 completed 4 peak in flight 2
	// balanced: true
	// model service time at least 816ms: true
}
