// Package h1 frames HTTP/1.1 requests as their bytes arrive, in pieces,
// with the rules of net/http's server: where a header block ends, whether
// a request line can still become valid, where a chunked body ends, and
// the usual request parsed without allocating (ParseSimple). The mock's
// loop engine reads requests with it, and its net/http engine watches
// connections with it (Watch) for what net/http lets through.
package h1

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"strings"
)

// This file frames requests in the input as it arrives, in pieces: where a
// header block ends, whether a request line can still become valid, and
// where a body ends. Each piece of input is looked at once (the scans
// resume where they stopped), so a request trickling in costs time in
// proportion to its size, not to its size times the number of pieces.

// Input is a connection's input not yet consumed: b[off:]. Consuming moves
// off; the bytes move down only when the buffer must make room, so
// pipelined requests are not copied down one by one.
type Input struct {
	b   []byte
	off int
}

func (in *Input) Bytes() []byte { return in.b[in.off:] }

func (in *Input) Len() int { return len(in.b) - in.off }

// Cap is the memory the buffer holds.
func (in *Input) Cap() int { return cap(in.b) }

func (in *Input) Consume(n int) {
	in.off += n
	if in.off == len(in.b) {
		in.b, in.off = in.b[:0], 0
	}
}

// add appends p, compacting or growing the buffer when it lacks room.
func (in *Input) Add(p []byte) {
	if len(in.b)+len(p) > cap(in.b) && in.off > 0 {
		in.b = in.b[:copy(in.b, in.b[in.off:])]
		in.off = 0
	}
	in.b = append(in.b, p...)
}

// shrink drops an empty buffer larger than keep, so a connection does not
// hold on to the memory of one large request.
func (in *Input) Shrink(keep int) {
	if in.Len() == 0 && cap(in.b) > keep {
		in.b, in.off = nil, 0
	}
}

// HeadEnd returns the length of the header block at the start of b
// (through its blank line), or -1 when it is not complete. from is what an
// earlier call searched (its next): only what arrived since is searched.
func HeadEnd(b []byte, from int) (end, next int) {
	i := max(from-2, 0) // a blank line may have begun at the end of the last search
	for {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1, len(b)
		}
		i += j + 1
		if i < len(b) && b[i] == '\n' {
			return i + 1, 0
		}
		if i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			return i + 2, 0
		}
	}
}

// LineStatus is what CheckRequestLine found.
type LineStatus uint8

const (
	LineIncomplete LineStatus = iota // no LF yet, nothing wrong so far
	LineOK                           // complete, and net/http would accept it
	LineBad                          // net/http answers 400 whatever follows
)

// CheckRequestLine looks at the start of a request before its header
// block is whole, so that input that can never be a request is refused at
// once rather than after the header timeout. net/http's server reads the
// request line first and answers 400 as soon as it is malformed; a control
// byte (other than the CR of its CRLF) makes any request line malformed.
// from is what an earlier call checked (its next).
func CheckRequestLine(b []byte, from int) (st LineStatus, next int) {
	eol := bytes.IndexByte(b[from:], '\n')
	if eol < 0 {
		for i := from; i < len(b); i++ {
			if c := b[i]; (c < ' ' || c == 0x7f) && !(c == '\r' && i == len(b)-1) {
				return LineBad, i
			}
		}
		if next = len(b); next > 0 && b[next-1] == '\r' {
			next-- // checked again once it is not the last byte
		}
		return LineIncomplete, next
	}
	eol += from
	if _, ok := simpleRequestLine(b[:eol+1]); ok {
		return LineOK, eol
	}
	// The rest as net/http reads it: the line alone, then no headers.
	line := strings.TrimSuffix(string(b[:eol]), "\r")
	if _, err := http.ReadRequest(bufio.NewReader(strings.NewReader(line + "\r\n\r\n"))); err != nil {
		return LineBad, eol
	}
	return LineOK, eol
}

// Chunked bodies, with net/http's limits (net/http/internal/chunked.go).
const (
	maxChunkLine   = 4096     // a chunk-size line, CRLF excluded, is shorter
	maxExcess      = 16 << 10 // overhead beyond what chunkOverhead allows
	chunkOverhead  = 16       // overhead allowed a chunk, beside twice its data
	maxChunkDigits = 16       // hex digits of a chunk size
	maxTrailer     = 4096     // net/http finds the end of trailers within its 4 KiB buffer
)

// The states of a chunked body.
const (
	chunkSize    = iota // reading a chunk-size line
	chunkData           // reading chunk data
	chunkDataEnd        // reading the CRLF after chunk data
	chunkTrailer        // reading trailer lines
)

// errChunk is what Feed returns for input that cannot be a chunked body.
var errChunk = errors.New("malformed chunked encoding")

// Body is the number of data bytes decoded so far.
func (d *Chunks) Body() int64 { return d.body }

// Chunks decodes a chunked body as it arrives. It accepts what net/http's
// chunked reader accepts (hex sizes of at most 16 digits, extensions
// ignored, CRLF line ends, a bound on overhead) and, after the last chunk,
// trailer lines of at most maxTrailer bytes in all; trailer field names
// must be tokens, as header names must.
type Chunks struct {
	state   int
	left    uint64 // data bytes left in the current chunk
	scanned int    // bytes of the current line known to hold no LF
	excess  int64
	trailer int   // trailer bytes so far
	body    int64 // data bytes so far (Body)
}

// feed consumes what it can of b. It returns the bytes consumed and
// whether the body (and its trailer) ended; errChunk when b cannot be a
// chunked body.
func (d *Chunks) Feed(b []byte) (n int, done bool, err error) {
	for n < len(b) {
		switch d.state {
		case chunkData:
			k := int(min(d.left, uint64(len(b)-n)))
			n += k
			d.left -= uint64(k)
			d.body += int64(k)
			if d.left == 0 {
				d.state = chunkDataEnd
			}
		case chunkDataEnd:
			if len(b)-n < 2 {
				if b[n] != '\r' {
					return n, false, errChunk
				}
				return n, false, nil
			}
			if b[n] != '\r' || b[n+1] != '\n' {
				return n, false, errChunk
			}
			n += 2
			d.state = chunkSize
		default:
			line, ok, err := d.line(b[n:])
			if err != nil || !ok {
				return n, false, err
			}
			n += len(line)
			if d.state == chunkTrailer {
				if d.trailer += len(line); d.trailer > maxTrailer {
					return n, false, errChunk
				}
				if len(line) == 2 {
					return n, true, nil
				}
				if !validHeaderLine(line[:len(line)-2]) {
					return n, false, errChunk
				}
				continue
			}
			if err := d.size(line[:len(line)-2]); err != nil {
				return n, false, err
			}
		}
	}
	return n, false, nil
}

// line returns the CRLF-ended line at the start of b, ok false while it
// has not all arrived.
func (d *Chunks) line(b []byte) (line []byte, ok bool, err error) {
	i := bytes.IndexByte(b[d.scanned:], '\n')
	if i < 0 {
		d.scanned = len(b)
		if len(b) > maxChunkLine+1 {
			return nil, false, errChunk
		}
		return nil, false, nil
	}
	line, d.scanned = b[:d.scanned+i+1], 0
	if len(line) < 2 || bytes.IndexByte(line, '\r') != len(line)-2 { // a bare LF, or a CR inside
		return nil, false, errChunk
	}
	if d.state == chunkSize && len(line)-2 >= maxChunkLine {
		return nil, false, errChunk
	}
	return line, true, nil
}

// size reads a chunk-size line (without its CRLF).
func (d *Chunks) size(p []byte) error {
	d.excess += int64(len(p)) + 2
	p, _, _ = bytes.Cut(bytes.TrimRight(p, " \t"), []byte(";"))
	if len(p) == 0 || len(p) > maxChunkDigits {
		return errChunk
	}
	var n uint64
	for _, c := range p {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return errChunk
		}
		n = n<<4 | uint64(c)
	}
	d.excess = max(d.excess-chunkOverhead-2*int64(min(n, 1<<40)), 0)
	if d.excess > maxExcess {
		return errChunk
	}
	d.left = n
	d.state = chunkData
	if n == 0 {
		d.state = chunkTrailer
	}
	return nil
}

// validHeaderLine reports whether line is "name:value" with a token name
// and a value of visible characters, spaces and tabs (no obs-fold).
func validHeaderLine(line []byte) bool {
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok || !isToken(name) {
		return false
	}
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
