package main

import "testing"

func TestSuggest(t *testing.T) {
	commands := []string{"run", "mock", "report", "compare", "predict", "scenarios", "version"}
	flags := []string{"pools", "parallel", "items", "out", "repeats", "strategies", "strict"}
	for _, tc := range []struct {
		typed string
		names []string
		want  string
	}{
		{"rnu", commands, "run"},        // swap
		{"rn", commands, "run"},         // deletion
		{"compre", commands, "compare"}, // deletion, long name
		{"predcit", commands, "predict"},
		{"scenario", commands, "scenarios"},
		{"frobnicate", commands, ""},
		{"xyz", commands, ""},
		{"pool", flags, "pools"},
		{"strat", flags, "strategies"}, // the only name it starts
		{"str", flags, ""},             // starts two
		{"strick", flags, "strict"},
		{"ou", flags, "out"},
		{"o", flags, ""}, // too short to be a prefix, and 2 from "out"
		{"repeat", flags, "repeats"},
	} {
		if got := suggest(tc.typed, tc.names); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.typed, got, tc.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"run", "run", 0}, {"rnu", "run", 1}, {"", "abc", 3},
		{"kitten", "sitting", 3}, {"ca", "abc", 3}, {"pool", "pools", 1}, {"pööl", "pool", 2},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
