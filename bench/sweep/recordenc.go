package sweep

import (
	"io"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// newRecordEncoder is vegeta's JSON encoder (lib.NewJSONEncoder) for the
// request records, without its allocations per record (easyjson's buffers,
// Time.MarshalJSON's slice): a record with no body, no headers, strings
// that need no escaping and a year vegeta can write, which is every attempt
// poolbench records but one whose error message has a quote, is appended to
// one reused buffer, byte for byte what vegeta's encoder writes
// (TestRecordEncoderIsVegetas); any other record goes through vegeta's
// encoder. Not safe for concurrent use, as vegeta's is not.
func newRecordEncoder(w io.Writer) vegeta.Encoder {
	vegetas := vegeta.NewJSONEncoder(w)
	var b []byte
	return func(r *vegeta.Result) error {
		if y := r.Timestamp.Year(); r.Body != nil || r.Headers != nil || y < 0 || y > 9999 ||
			!plainJSON(r.Attack) || !plainJSON(r.Error) || !plainJSON(r.Method) || !plainJSON(r.URL) {
			return vegetas(r)
		}
		b = append(b[:0], `{"attack":"`...)
		b = append(b, r.Attack...)
		b = append(b, `","seq":`...)
		b = strconv.AppendUint(b, r.Seq, 10)
		b = append(b, `,"code":`...)
		b = strconv.AppendUint(b, uint64(r.Code), 10)
		b = append(b, `,"timestamp":"`...)
		b = r.Timestamp.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","latency":`...)
		b = strconv.AppendInt(b, int64(r.Latency), 10)
		b = append(b, `,"bytes_out":`...)
		b = strconv.AppendUint(b, r.BytesOut, 10)
		b = append(b, `,"bytes_in":`...)
		b = strconv.AppendUint(b, r.BytesIn, 10)
		b = append(b, `,"error":"`...)
		b = append(b, r.Error...)
		b = append(b, `","body":null,"method":"`...)
		b = append(b, r.Method...)
		b = append(b, `","url":"`...)
		b = append(b, r.URL...)
		b = append(b, "\",\"headers\":null}\n"...)
		_, err := w.Write(b)
		return err
	}
}

// plainJSON reports whether s is written in a JSON string as it is by
// easyjson's writer as vegeta uses it: printable ASCII other than the
// quote, the backslash and the HTML characters it escapes (<, >, &).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
