//go:build linux

package loop

import (
	"net/http"
	"strconv"
	"time"
)

// Answers: the status line and the headers net/http's server would write
// (Date, Content-Length, Connection), then the Service's headers and body.

// head appends a status line and the common headers; the caller appends
// its own header lines and the blank line.
func (l *loop) head(b []byte, c *conn, status int, length int) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\nDate: "...)
	if now := time.Now(); now.Unix() != l.dateSec {
		l.dateSec = now.Unix()
		l.date = now.UTC().AppendFormat(l.date[:0], http.TimeFormat)
	}
	b = append(b, l.date...)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(length), 10)
	b = append(b, "\r\n"...)
	if c.closeAfter {
		b = append(b, "Connection: close\r\n"...)
	} else if c.http10 {
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	return b
}

// respond writes an answer: the status line and common headers, header
// (lines ending in CRLF), the blank line and, unless the request was
// HEAD, body.
func (l *loop) respond(c *conn, status int, header, body []byte) {
	b := l.head(c.out, c, status, len(body))
	b = append(b, header...)
	b = append(b, "\r\n"...)
	if !c.head {
		b = append(b, body...)
	}
	c.out = b
	l.flush(c)
}

func (l *loop) answer(c *conn, took time.Duration) {
	status, b, split := l.svc.AppendAnswer(l.scratch[:0], c.arr, c.n, took, c.admitted.Sub(c.arrived))
	l.respond(c, status, b[:split], b[split:])
	l.scratch = b[:0]
}

// fail answers a request that cannot be served and closes the connection
// (what follows it in the stream cannot be trusted).
func (l *loop) fail(c *conn, status int, msg string) {
	c.closeAfter, c.head, c.http10 = true, false, false
	c.read = reading{}
	c.in.Consume(c.in.Len())
	l.respond(c, status, []byte("Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"), []byte(msg+"\n"))
}
