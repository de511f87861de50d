package sweep

import (
	"errors"
	"testing"
)

func TestSecrets(t *testing.T) {
	s := newSecrets(env(map[string]string{"TOKEN": "tok-123", "LONG": "tok-123-and-more", "EMPTY": ""}))
	tests := []struct{ in, want, missing string }{
		{"plain", "plain", ""},
		{"Bearer ${TOKEN}", "Bearer tok-123", ""},
		{"${LONG}/${TOKEN}", "tok-123-and-more/tok-123", ""},
		{"$TOKEN and $ and ${ and ${1X}", "$TOKEN and $ and ${ and ${1X}", ""},
		{"${EMPTY}x", "x", ""},
		{"a ${NOPE} b ${TOKEN}", "", "NOPE"},
	}
	for _, tt := range tests {
		got, err := s.expand("here", tt.in)
		var mv *MissingVarError
		switch {
		case tt.missing != "" && (!errors.As(err, &mv) || mv.Name != tt.missing || mv.Where != "here"):
			t.Errorf("expand(%q): err %v, want %s missing", tt.in, err, tt.missing)
		case tt.missing == "" && (err != nil || got != tt.want):
			t.Errorf("expand(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	// Every value expanded is redacted, the longest first.
	if got := s.redacted(`Get "http://h/?a=tok-123-and-more&b=tok-123": EOF`); got != `Get "http://h/?a=${LONG}&b=${TOKEN}": EOF` {
		t.Errorf("redacted: %q", got)
	}
	if got := newSecrets(nil).redacted("tok-123"); got != "tok-123" {
		t.Errorf("nothing expanded, yet redacted: %q", got)
	}
}
