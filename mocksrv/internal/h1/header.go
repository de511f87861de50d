package h1

import (
	"bufio"
	"bytes"
	"net/textproto"
)

// HostHeaders returns the Host values of a header block, as net/http's
// server reads them (textproto: continuation lines, space and tab trimmed).
func HostHeaders(block []byte) []string {
	_, fields, _ := bytes.Cut(block, []byte("\n")) // past the request line
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(fields))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil
	}
	return h["Host"]
}

// HasField reports whether a header block whose names are tokens has a
// field named name (any case).
func HasField(block []byte, name string) bool {
	_, fields, _ := bytes.Cut(block, []byte("\n"))
	for line := range bytes.Lines(fields) {
		if n, _, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(n, []byte(name)) {
			return true
		}
	}
	return false
}
