package sweep

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
)

// lineReader hands a vegeta targeter its file one line per Read, so the
// targeter's errors can be placed: line is the number of the line the
// last byte read belongs to. It also queues the numbers of the lines that
// start a request in vegeta's http format (vegeta's own rule, a method in
// capitals and a space), so each request decoded can be placed too.
type lineReader struct {
	br     *bufio.Reader
	line   int  // the line of the last byte read, from 1; 0 before any
	mid    bool // the last byte read did not end its line
	starts []int
	cur    []byte // the line being read, for the start test
}

// methodLine is vegeta's test for a line that starts an http-format
// request (startsWithHTTPMethod), on the trimmed line.
var methodLine = regexp.MustCompile(`^[A-Z]+\s`)

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

func (lr *lineReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if lr.br.Buffered() == 0 {
		if _, err := lr.br.Peek(1); err != nil {
			lr.endLine()
			return 0, err
		}
	}
	buf, _ := lr.br.Peek(min(len(p), lr.br.Buffered()))
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		buf = buf[:i+1]
	}
	n := copy(p, buf)
	if _, err := lr.br.Discard(n); err != nil {
		return 0, err
	}
	if !lr.mid {
		lr.line++
		lr.cur = lr.cur[:0]
	}
	if len(lr.cur) < 64 {
		lr.cur = append(lr.cur, p[:min(n, 64-len(lr.cur))]...)
	}
	lr.mid = p[n-1] != '\n'
	if !lr.mid {
		lr.endLine()
	}
	return n, nil
}

// endLine notes whether the line just read starts a request.
func (lr *lineReader) endLine() {
	if len(lr.cur) > 0 && methodLine.Match(bytes.TrimSpace(lr.cur)) {
		lr.starts = append(lr.starts, lr.line)
	}
	lr.cur = lr.cur[:0]
}

// requestLine is the line the request just decoded started on in the
// http format: the oldest request start not yet claimed (the targeter
// may have read the next request's first line already).
func (lr *lineReader) requestLine() int {
	if len(lr.starts) == 0 {
		return lr.line
	}
	l := lr.starts[0]
	lr.starts = lr.starts[1:]
	return l
}
