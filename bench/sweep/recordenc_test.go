package sweep

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TestRecordEncoderIsVegetas: every record, plain or not (quotes, HTML
// characters, control characters, non-ASCII, a body, headers, a year
// vegeta refuses), is written byte for byte as vegeta's own encoder writes
// it, and an error vegeta returns is returned.
func TestRecordEncoderIsVegetas(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "a", "GET", "http://127.0.0.1:8080/x?y=1", "pooled/p=64/r=0", "EOF", `Get "http://x"`,
		"a<b>&c", "tab\there", "nl\n", "é", "\u2028", "\x7f", "\\", "503 Service Unavailable", "/"}
	str := func() string {
		var s string
		for range rnd.IntN(4) {
			s += pieces[rnd.IntN(len(pieces))]
		}
		return s
	}
	plain := 0 // records the fast path writes
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("x", -7*3600-30*60), time.FixedZone("y", 14*3600)}
	for i := range 5000 {
		r := vegeta.Result{
			Attack: str(), Seq: rnd.Uint64N(1 << uint(rnd.IntN(64))), Code: uint16(rnd.IntN(1000)),
			Timestamp: time.Unix(rnd.Int64N(1<<34)-1<<32, rnd.Int64N(1e9)).In(zones[rnd.IntN(len(zones))]),
			Latency:   time.Duration(rnd.Int64N(1 << 40)), BytesOut: rnd.Uint64(), BytesIn: rnd.Uint64N(1 << 20),
			Error: str(), Method: str(), URL: str(),
		}
		switch i % 50 {
		case 1:
			r.Body = []byte("ok")
		case 2:
			r.Headers = http.Header{"A": {"b"}}
		case 3:
			r.Timestamp = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		case 4:
			r.Timestamp = r.Timestamp.Truncate(time.Second)
		}
		if r.Body == nil && r.Headers == nil && r.Timestamp.Year() <= 9999 && plainJSON(r.Attack) && plainJSON(r.Error) && plainJSON(r.Method) && plainJSON(r.URL) {
			plain++
		}
		var want, got bytes.Buffer
		werr := vegeta.NewJSONEncoder(&want)(&r)
		gerr := newRecordEncoder(&got)(&r)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("record %d %+v:\n got %q (%v)\nwant %q (%v)", i, r, got.String(), gerr, want.String(), werr)
		}
	}
	if plain < 200 {
		t.Errorf("%d plain records of 5000: the fast path is hardly tested", plain)
	}
}

// TestRecordEncoderAllocs: a plain record costs no allocation once the
// buffer has grown; vegeta's encoder makes several.
func TestRecordEncoderAllocs(t *testing.T) {
	r := vegeta.Result{Attack: "pooled/p=64/r=0", Seq: 12345, Code: 200, Timestamp: time.Now(), Latency: 1234567,
		BytesIn: 3, Method: "GET", URL: "http://127.0.0.1:8080/ok.txt"}
	var out bytes.Buffer
	out.Grow(1 << 20)
	enc := newRecordEncoder(&out)
	if got := testing.AllocsPerRun(1000, func() { enc(&r) }); got != 0 {
		t.Errorf("%v allocations a record, want 0", got)
	}
	out.Reset()
	venc := vegeta.NewJSONEncoder(&out)
	t.Logf("vegeta's encoder: %v allocations a record", testing.AllocsPerRun(1000, func() { venc(&r) }))
}
