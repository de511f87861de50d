package h1

import (
	"bytes"

	"github.com/poolbench/poolbench/mocksrv/upstream"
)

// Simple is what ParseSimple reads of a request.
type Simple struct {
	Method, Path []byte
	Close        bool // the connection ends after the answer
	HTTP10       bool // HTTP/1.0
	Length       int  // bytes of the request, through the blank line
	// Draw is the value of the request's Poolbench-Draw header (nil when
	// it has none); see upstream.DrawHeader.
	Draw []byte
}

// ParseSimple parses, without allocating, the requests load generators
// send: a request line with an origin-form target and HTTP/1.0 or 1.1,
// CRLF-ended header lines with token names and visible values, at most a
// Content-Length of 0, no Transfer-Encoding or Expect, and for HTTP/1.1
// exactly one Host. Anything else returns ok false, and the caller parses
// it with net/http's parser, which accepts or refuses it with the right
// status; whatever ParseSimple accepts, net/http's parser accepts the
// same way (FuzzParseSimple checks both).
func ParseSimple(b []byte, headerLimit int) (r Simple, ok bool) {
	r, ok = simpleRequestLine(b)
	if !ok {
		return r, false
	}
	http11 := !r.HTTP10
	keepAlive, hosts, draws := false, 0, 0
	pos := r.Length
	for {
		eol := bytes.Index(b[pos:], crlf)
		if eol < 0 {
			return r, false
		}
		if eol == 0 {
			r.Length = pos + 2
			break
		}
		if pos+eol > headerLimit {
			return r, false // the caller answers 431, as net/http does
		}
		line := b[pos : pos+eol]
		pos += eol + 2
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return r, false
		}
		name, value := line[:colon], bytes.Trim(line[colon+1:], " \t")
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return r, false
			}
		}
		switch {
		case bytes.EqualFold(name, []byte("Host")):
			hosts++
			if !validHost(value) {
				return r, false
			}
		case bytes.EqualFold(name, []byte("Content-Length")):
			if string(value) != "0" {
				return r, false
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")), bytes.EqualFold(name, []byte("Expect")):
			return r, false
		case bytes.EqualFold(name, []byte(upstream.DrawHeader)):
			if draws++; draws > 1 {
				return r, false // repeated: net/http's path sees both
			}
			r.Draw = value[:len(value):len(value)]
		case bytes.EqualFold(name, []byte("Connection")):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				tok = bytes.Trim(tok, " \t")
				switch {
				case bytes.EqualFold(tok, []byte("close")):
					r.Close = true
				case bytes.EqualFold(tok, []byte("keep-alive")):
					keepAlive = true
				}
			}
		}
	}
	if http11 && hosts != 1 || !http11 && hosts > 1 {
		return r, false
	}
	if !http11 && !keepAlive {
		r.Close = true
	}
	r.HTTP10 = !http11
	return r, true
}

// simpleRequestLine parses a CRLF-ended request line at the start of b as
// ParseSimple does: a token method, an origin-form target without escapes
// or fragment, HTTP/1.0 or HTTP/1.1. r.Length is the line's, CRLF
// included.
func simpleRequestLine(b []byte) (r Simple, ok bool) {
	eol := bytes.Index(b, crlf)
	if eol < 0 {
		return r, false
	}
	line := b[:eol]
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 || !isToken(line[:sp1]) {
		return r, false
	}
	r.Method = line[:sp1]
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 || rest[0] != '/' {
		return r, false
	}
	target, version := rest[:sp2], rest[sp2+1:]
	for _, c := range target {
		if c <= ' ' || c >= 0x7f || c == '%' || c == '#' {
			return r, false
		}
	}
	if len(target) > 1 && target[1] == '/' {
		return r, false // "//host/path" is parsed as an authority
	}
	r.Path = target
	if q := bytes.IndexByte(target, '?'); q >= 0 {
		r.Path = target[:q]
	}
	switch string(version) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		r.HTTP10 = true
	default:
		return r, false
	}
	r.Length = eol + 2
	return r, true
}

var crlf = []byte("\r\n")

// isToken reports whether b is a non-empty RFC 9110 token.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c >= 0x80 || !tokenChar[c] {
			return false
		}
	}
	return true
}

// validHost accepts the plain host[:port] values net/http accepts too.
func validHost(b []byte) bool {
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_':
		default:
			return false
		}
	}
	return true
}

var tokenChar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
