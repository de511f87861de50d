package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// seconds prints a duration given in seconds in human units with three
// significant digits: "816 s", "42.4 s", "1.02 s", "848 ms", "4.2 ms",
// "12 µs". Whole seconds above 9,999 switch to hours ("2.78 h").
func seconds(s float64) string {
	switch {
	case math.IsNaN(s) || math.IsInf(s, 0):
		return "–"
	case s == 0:
		return "0 s"
	case s < 0:
		return "-" + seconds(-s)
	case s >= 9999.5:
		return sig3(s/3600) + " h"
	case s >= 0.9995:
		return sig3(s) + " s"
	case s >= 0.0009995:
		return sig3(s*1e3) + " ms"
	default:
		return sig3(s*1e6) + " µs"
	}
}

// sig3 prints v with three significant digits, trailing zeros after the
// decimal point trimmed, and no exponent: 816, 42.4, 1.02, 4.2.
func sig3(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	digits := 2
	if v >= 10 {
		digits = 1
	}
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// rate prints a throughput (per second) with three significant digits.
func rate(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	if v < 0.01 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return sig3(v)
}

// times prints a speed-up factor: "1.92×".
func times(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	digits := 2
	switch {
	case v >= 100:
		digits = 0
	case v >= 10:
		digits = 1
	}
	return strconv.FormatFloat(v, 'f', digits, 64) + "×"
}

// count prints a median count: whole numbers plainly, halves (the median of
// an even number of repeats) with one decimal.
func count(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// thousands prints a whole number with thousands separators: 12,345.
func thousands(v float64) string {
	s := count(v)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// percent prints a ratio as a whole percentage: "96%".
func percent(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", v*100)
}

// wrap breaks text into lines of at most width runes at spaces (a longer
// word stays whole), each line ending in a newline; width 0 leaves it one
// line.
func wrap(text string, width int) string {
	if width <= 0 {
		return strings.Join(strings.Fields(text), " ") + "\n"
	}
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(text) {
		wl := utf8.RuneCountInString(word)
		if i > 0 {
			if n+1+wl > width {
				b.WriteByte('\n')
				n = 0
			} else {
				b.WriteByte(' ')
				n++
			}
		}
		b.WriteString(word)
		n += wl
	}
	b.WriteByte('\n')
	return b.String()
}

// share prints a ratio as a percentage with one decimal below 10%:
// "0.4%", "3.1%", "12%"; "0%" for 0.
func share(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "–"
	case v == 0:
		return "0%"
	case v > 0 && v < 0.0005:
		return "<0.1%"
	case v < 0.0995:
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(v*100, 'f', 0, 64) + "%"
}

// perItem prints attempts per item with two decimals: "1.02".
func perItem(attempts, items float64) string {
	if !(items > 0) {
		return "–"
	}
	return strconv.FormatFloat(attempts/items, 'f', 2, 64)
}

// plusMinus prints a stat for a narrow column: the median by f, and when
// repeats differ, the largest distance to min or max as a share of the
// median: "7.08 s ±1%".
func plusMinus(st Stat, f func(float64) string) string {
	med := f(st.Median)
	if !st.Spread() || !(st.Median > 0) {
		return med
	}
	d := max(st.Max-st.Median, st.Median-st.Min) / st.Median
	if d < 0.005 {
		return med + " ±<1%"
	}
	return med + " ±" + strconv.FormatFloat(d*100, 'f', 0, 64) + "%"
}

// tickLabel prints an axis value in plain, short numbers: 0, 0.25, 5, 250,
// 5k, 12.5k, 2M.
func tickLabel(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e4 || (a >= 1e3 && math.Mod(a, 1e3) == 0):
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
