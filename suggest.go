package main

import (
	"strings"
	"unicode/utf8"
)

// suggest returns the name in names a mistyped one most likely meant: one
// edit away (an insertion, deletion, substitution or swap of two
// neighbouring letters); else the only name that typed starts, three
// letters at least; else, for five letters or more, two edits away. Ties
// go to the earlier name; "" when none is that close.
func suggest(typed string, names []string) string {
	if n := nearest(typed, names, 1); n != "" {
		return n
	}
	var prefixed []string
	for _, n := range names {
		if utf8.RuneCountInString(typed) >= 3 && len(n) > len(typed) && strings.HasPrefix(n, typed) {
			prefixed = append(prefixed, n)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	if utf8.RuneCountInString(typed) >= 5 {
		return nearest(typed, names, 2)
	}
	return ""
}

// nearest is the first of the names closest to typed, at most limit
// edits away, or "".
func nearest(typed string, names []string, limit int) string {
	best, bestDist := "", limit+1
	for _, n := range names {
		if d := editDistance(typed, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b,
// in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
