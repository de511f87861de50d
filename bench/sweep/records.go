package sweep

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// spill keeps a cell's attempts while the cell runs, in a compact binary
// form in an unlinked temporary file behind a 64 KiB buffer: recording an
// attempt costs no encoding and no memory that grows with the cell. Once
// the cell has ended, writeTo turns them into vegeta Results.
type spill struct {
	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	buf []byte
	err error
	// redact removes the run's secrets from error messages (nil: none).
	redact func(string) string
}

func newSpill() (*spill, error) {
	f, err := os.CreateTemp("", "poolbench-attempts-*")
	if err != nil {
		return nil, fmt.Errorf("a temporary file for request records: %w", err)
	}
	os.Remove(f.Name()) // gone with the last descriptor, whatever happens
	return &spill{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// add records a (seq, start, latency, bytes in, status, kind, error, and
// the method, URL as written and body size of its own request, if any).
func (s *spill) add(a *attempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	b := s.buf[:0]
	b = binary.AppendUvarint(b, a.seq)
	b = binary.AppendVarint(b, a.start.UnixNano())
	b = binary.AppendVarint(b, int64(a.latency))
	b = binary.AppendVarint(b, a.bytesIn)
	b = binary.AppendUvarint(b, uint64(a.code))
	b = append(b, a.kind)
	msg := ""
	if a.err != nil {
		msg = a.err.Error()
		if s.redact != nil {
			msg = s.redact(msg)
		}
	}
	b = appendString(b, msg)
	if a.req == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendString(b, a.req.method)
		b = appendString(b, a.req.raw)
		b = binary.AppendUvarint(b, uint64(len(a.req.body)))
	}
	_, s.err = s.w.Write(b)
	s.buf = b
}

// writeTo encodes the recorded attempts as vegeta Results of the cell
// labeled label, in the order they ended: Seq is their start order. An
// attempt without a request of its own has the cell's url, method and
// bytesOut.
func (s *spill) writeTo(enc vegeta.Encoder, label, url, method string, bytesOut uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = s.w.Flush()
	}
	if s.err != nil {
		return s.err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(s.f, 64<<10)
	r := vegeta.Result{Attack: label}
	for {
		seq, err := binary.ReadUvarint(br)
		if err == io.EOF {
			return nil
		}
		var start, lat, in int64
		var code uint64
		var kind byte
		if err == nil {
			start, err = binary.ReadVarint(br)
		}
		if err == nil {
			lat, err = binary.ReadVarint(br)
		}
		if err == nil {
			in, err = binary.ReadVarint(br)
		}
		if err == nil {
			code, err = binary.ReadUvarint(br)
		}
		if err == nil {
			kind, err = br.ReadByte()
		}
		var msg string
		if err == nil {
			msg, err = readString(br)
		}
		if err == nil {
			r.Method, r.URL, r.BytesOut, err = readRequest(br, method, url, bytesOut)
		}
		if err != nil {
			return fmt.Errorf("reading back the request records: %w", errors.Join(err, io.ErrUnexpectedEOF))
		}
		r.Seq, r.Code = seq, uint16(code)
		r.Timestamp, r.Latency, r.BytesIn = time.Unix(0, start), time.Duration(lat), uint64(max(in, 0))
		r.Error = msg
		if kind == kindHTTP && (code < 200 || code >= 300) {
			r.Error = fmt.Sprintf("%d %s", code, http.StatusText(int(code)))
		}
		if err := enc.Encode(&r); err != nil {
			return err
		}
	}
}

// close releases the temporary file.
func (s *spill) close() { s.f.Close() }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(br *bufio.Reader) (string, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return "", err
	}
	b := make([]byte, min(n, 1<<20))
	_, err = io.ReadFull(br, b)
	return string(b), err
}

// readRequest reads an attempt's own request, or returns the cell's.
func readRequest(br *bufio.Reader, method, url string, bytesOut uint64) (string, string, uint64, error) {
	own, err := br.ReadByte()
	if err != nil || own == 0 {
		return method, url, bytesOut, err
	}
	if method, err = readString(br); err != nil {
		return "", "", 0, err
	}
	if url, err = readString(br); err != nil {
		return "", "", 0, err
	}
	bytesOut, err = binary.ReadUvarint(br)
	return method, url, bytesOut, err
}
