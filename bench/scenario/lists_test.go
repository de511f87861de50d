package scenario

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParsePools(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"1,2,4", []int{1, 2, 4}, ""},
		{" 8 , 10000 ", []int{8, 10000}, ""},
		{"1000000", []int{1000000}, ""},
		{"", nil, `item 1, ""`},
		{"1,,2", nil, `item 2, ""`},
		{"0", nil, `"0", is not accepted`},
		{"-3", nil, "not accepted"},
		{"2,x", nil, `item 2, "x"`},
		{"4,4", nil, "listed twice"},
		{"99999999", nil, "1 to 10000000"},
	} {
		got, err := ParsePools(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParsePools(%q): error %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePools(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseStrategies(t *testing.T) {
	got, err := ParseStrategies("serial, pooled,unbounded")
	if want := []Strategy{Serial, Pooled, Unbounded}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	for _, in := range []string{"", "gather", "serial,serial", "pooled,"} {
		if _, err := ParseStrategies(in); err == nil {
			t.Errorf("ParseStrategies(%q): no error", in)
		}
	}
}

// FuzzParsePools: no panic; accepted lists are valid and print back to an
// equal list.
func FuzzParsePools(f *testing.F) {
	for _, s := range []string{"1,2,4", " 8 ", "", ",", "0", "1,1", "+5", "0x10", "9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pools, err := ParsePools(s)
		if err != nil {
			return
		}
		var parts []string
		for _, p := range pools {
			if p < 1 || p > MaxPool {
				t.Fatalf("%q: accepted pool %d", s, p)
			}
			parts = append(parts, strconv.Itoa(p))
		}
		again, err := ParsePools(strings.Join(parts, ","))
		if err != nil || !reflect.DeepEqual(again, pools) {
			t.Fatalf("%q: round trip gave %v, %v", s, again, err)
		}
	})
}

// FuzzParseStrategies: no panic; accepted lists hold known strategies once.
func FuzzParseStrategies(f *testing.F) {
	for _, s := range []string{"serial", "pooled,workers", "", "x", "serial,serial", " unbounded "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ss, err := ParseStrategies(s)
		if err != nil {
			return
		}
		seen := map[Strategy]bool{}
		for _, st := range ss {
			if seen[st] {
				t.Fatalf("%q: %s twice", s, st)
			}
			seen[st] = true
		}
		if len(ss) == 0 {
			t.Fatalf("%q: accepted an empty list", s)
		}
	})
}
