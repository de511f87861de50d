package upstream_test

import (
	"fmt"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// ParseLatency reads every distribution form; Mean is exact.
func ExampleParseLatency() {
	for _, spec := range []string{"816ms", "uniform(10ms,20ms)", "exponential(mean=100ms)", "10ms:90,500ms:10"} {
		l, err := upstream.ParseLatency(spec)
		if err != nil {
			panic(err)
		}
		fmt.Println(l, "mean", l.Mean())
	}
	_, err := upstream.ParseLatency("gamma(2,10ms)")
	fmt.Println(err != nil)
	// Output:
	// 816ms mean 816ms
	// uniform(10ms,20ms) mean 15ms
	// exponential(mean=100ms) mean 100ms
	// 10ms:90,500ms:10 mean 59ms
	// true
}
