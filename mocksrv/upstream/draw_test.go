package upstream

import (
	"strconv"
	"testing"
)

// TestDrawKey: keys are distinct for distinct (item, attempt), never 0,
// and read back through ParseDrawKey.
func TestDrawKey(t *testing.T) {
	seen := map[uint64]bool{}
	for item := range 300 {
		for attempt := 1; attempt <= 5; attempt++ {
			k := DrawKey(item, attempt)
			if k == 0 || seen[k] {
				t.Fatalf("DrawKey(%d, %d) = %d: zero or repeated", item, attempt, k)
			}
			seen[k] = true
			if got, ok := ParseDrawKey([]byte(strconv.FormatUint(k, 10))); !ok || got != k {
				t.Fatalf("ParseDrawKey(%d) = %d, %v", k, got, ok)
			}
		}
	}
}

// TestParseDrawKey: only 1 to 20 digits naming a non-zero uint64.
func TestParseDrawKey(t *testing.T) {
	for _, tc := range []struct {
		in  string
		key uint64
		ok  bool
	}{
		{"1", 1, true},
		{"65537", 65537, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false}, // overflows
		{"0", 0, false},
		{"", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1e3", 0, false},
		{"000000000000000000001", 0, false}, // 21 digits
	} {
		if key, ok := ParseDrawKey([]byte(tc.in)); key != tc.key || ok != tc.ok {
			t.Errorf("ParseDrawKey(%q) = %d, %v; want %d, %v", tc.in, key, ok, tc.key, tc.ok)
		}
	}
}
