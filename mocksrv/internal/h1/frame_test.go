package h1

import (
	"bytes"
	"io"
	"net/http/httputil"
	"strings"
	"testing"
)

// TestInputConsumesInPlace: consuming moves an offset; the bytes move
// down only when an Add needs the room.
func TestInputConsumesInPlace(t *testing.T) {
	var in Input
	in.Add([]byte("GET / HTTP/1.1\r\n\r\nGET /b"))
	in.Consume(18)
	if string(in.Bytes()) != "GET /b" {
		t.Fatalf("after Consume: %q", in.Bytes())
	}
	if in.off != 18 {
		t.Errorf("Consume copied: offset %d, want 18", in.off)
	}
	in.Add(bytes.Repeat([]byte("x"), cap(in.b))) // needs the room
	if in.off != 0 || !strings.HasPrefix(string(in.Bytes()), "GET /bx") {
		t.Errorf("after a large Add: offset %d, %.8q", in.off, in.Bytes())
	}
	in.Consume(in.Len())
	in.Shrink(16)
	if in.Cap() != 0 {
		t.Errorf("Shrink kept %d bytes", in.Cap())
	}
}

// TestHeadEndInPieces: the end of a header block is found wherever the
// pieces split it, searching each byte about once.
func TestHeadEndInPieces(t *testing.T) {
	for _, block := range []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\nHost: x\n\n", "GET / HTTP/1.1\r\n\r\n"} {
		for cut := 1; cut < len(block); cut++ {
			end, next := HeadEnd([]byte(block[:cut]), 0)
			if end >= 0 {
				t.Fatalf("%q cut at %d: end %d", block, cut, end)
			}
			if end, _ = HeadEnd([]byte(block+"GET"), next); end != len(block) {
				t.Errorf("%q cut at %d: end %d, want %d", block, cut, end, len(block))
			}
		}
	}
}

func TestCheckRequestLine(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want LineStatus
	}{
		{"GET / HTTP/1.1\r\n", LineOK},
		{"GET / HTTP/1.1\r", LineIncomplete},
		{"GET /aaa", LineIncomplete},
		{"OPTIONS * HTTP/1.1\r\n", LineOK},
		{"GET http://x/ HTTP/1.1\r\n", LineOK},
		{"GET / HTTP/2.0\r\n", LineOK}, // 505 once the header block is whole, as net/http answers
		{"GET / HTTP/9\r\n", LineBad},
		{"NONSENSE\r\n", LineBad},
		{"\r\n", LineBad},
		{"GET /\x01", LineBad},
		{"GET /\rx", LineBad},
		{"\x16\x03\x01\x02", LineBad}, // a TLS hello
	} {
		if st, _ := CheckRequestLine([]byte(tt.in), 0); st != tt.want {
			t.Errorf("%q: %d, want %d", tt.in, st, tt.want)
		}
	}
}

// decode feeds body to a Chunks in pieces of n bytes, as a connection
// would (what is not consumed waits for more), and returns the data
// length and whether and where it ended.
func decode(body []byte, n int) (data int64, end int, err error) {
	var in Input
	var d Chunks
	fed := 0
	for fed < len(body) {
		k := min(n, len(body)-fed)
		in.Add(body[fed : fed+k])
		fed += k
		used, done, err := d.Feed(in.Bytes())
		in.Consume(used)
		if err != nil {
			return d.Body(), -1, err
		}
		if done {
			return d.Body(), fed - in.Len(), nil
		}
	}
	return d.Body(), -1, nil
}

// FuzzChunks: a body the decoder accepts in one piece, net/http's chunked
// reader accepts with the same data length; and the decoder reads it the
// same in any pieces.
func FuzzChunks(f *testing.F) {
	for _, s := range []string{
		"1\r\na\r\n0\r\n\r\n",
		"5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n",
		"A \r\n0123456789\r\n0\r\n\r\n",
		"zz\r\n", "1\r\naXY0\r\n\r\n", "1\na\r\n0\r\n\r\n",
		"0000000000000000001\r\na\r\n0\r\n\r\n",
		"0\r\nX : y\r\n\r\n",
	} {
		f.Add([]byte(s), 3)
	}
	f.Fuzz(func(t *testing.T, body []byte, piece int) {
		data, end, err := decode(body, len(body)+1)
		if err != nil || end < 0 {
			return
		}
		got, rerr := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body[:end])))
		if rerr != nil || int64(len(got)) != data {
			t.Fatalf("%q: decoder %d bytes; net/http %d (%v)", body[:end], data, len(got), rerr)
		}
		if piece = (piece%16+16)%16 + 1; piece > 0 {
			if d2, e2, err2 := decode(body, piece); d2 != data || e2 != end || err2 != nil {
				t.Fatalf("%q in pieces of %d: %d %d %v; whole: %d %d", body, piece, d2, e2, err2, data, end)
			}
		}
	})
}

// TestChunksLinear: a 1 MiB body in 1-byte chunks, arriving 250 bytes at a
// time, is decoded by looking at each byte a bounded number of times.
func TestChunksLinear(t *testing.T) {
	body := []byte(strings.Repeat("1\r\nx\r\n", 1<<20) + "0\r\n\r\n")
	data, end, err := decode(body, 250)
	if err != nil || data != 1<<20 || end != len(body) {
		t.Fatalf("%d bytes, end %d, %v", data, end, err)
	}
	if n := testing.AllocsPerRun(1, func() { decode(body, 250) }); n > 100 {
		t.Errorf("%v allocations: the input is copied as it grows", n)
	}
}
