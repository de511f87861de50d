#!/usr/bin/env bash
# make e2e: render a small scenario's page with `poolbench report`, open it
# in headless Chromium, assert from the DOM and the browser's console log,
# and take a screenshot.
#
#   E2E_OUT   where pages, DOM dumps, logs and the screenshot go (bin/e2e)
#
# Three scenario folders are checked: seed-816s and cap-sweep from the
# report package's fixture generator (results.json and requests.jsonl with
# the built-in scenarios' typical numbers), and a real tiny run of
# seed-816s (pools 1,2,4 at 1:500, about 10 s).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${E2E_OUT:-bin/e2e}

if ! command -v chromium >/dev/null 2>&1; then
	echo "e2e: installing Debian's chromium"
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq && apt-get install -y -qq chromium
	else
		sudo apt-get update -qq && sudo apt-get install -y -qq chromium
	fi
fi
chromium --version

go build -o bin/poolbench .
rm -rf "$OUT"
mkdir -p "$OUT/reports"
OUT=$(cd "$OUT" && pwd)
REPORTS=$OUT/reports

POOLBENCH_FIXTURE_OUT=$REPORTS go test -count=1 -run '^TestFixtureFiles$' ./bench/report >/dev/null
bin/poolbench run -out "$REPORTS/tiny-run" -timescale 0.002 -pools 1,2,4 seed-816s >"$OUT/tiny-run.out" 2>&1
# Re-render from the files alone, as a user would.
bin/poolbench report -q "$REPORTS"

fail=0
check() { # check DESCRIPTION COMMAND...
	if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}

# chrome runs headless Chromium with a fresh profile and the flags this
# machine needs (no background networking: the network is closed).
chrome() {
	local profile
	profile=$(mktemp -d)
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
	local rc=$?
	rm -rf "$profile"
	return $rc
}

# console_messages FILE prints the page's console lines from Chromium's log.
console_messages() { grep -E ':CONSOLE[:(]' "$1" || true; }

# Self-test: the console check must see a page's console error.
cat >"$OUT/selftest.html" <<'HTML'
<!DOCTYPE html><html><body><p>self-test</p><script>console.error("e2e-selftest-error")</script></body></html>
HTML
chrome --dump-dom "file://$OUT/selftest.html" >"$OUT/selftest.dom" 2>"$OUT/selftest.log"
check "self-test: a console error is detected" grep -q e2e-selftest-error <(console_messages "$OUT/selftest.log")

# table_widths PAGE PREFIX prints, for PAGE shown in a 1400 px window,
# each table's "id=scrollWidth/clientWidth" of its scrolling box and the
# page's "page=scrollWidth/1400". The page forbids scripts (its CSP): a copy
# without the CSP, with a script that writes the widths into the DOM, is
# what Chromium measures.
table_widths() {
	local copy=$2.measure.html
	{
		grep -v Content-Security-Policy "$1"
		# After </html> the parser still adds it to the body.
		cat <<'JS'
<script>
var out = [];
document.querySelectorAll(".tablewrap").forEach(function (w) {
  out.push(w.querySelector("table").id + "=" + w.scrollWidth + "/" + w.clientWidth);
});
out.push("page=" + document.documentElement.scrollWidth + "/1400");
var p = document.createElement("pre"); p.id = "widths"; p.textContent = out.join(" ");
document.body.appendChild(p);
</script>
JS
	} >"$copy"
	chrome --window-size=1400,900 --dump-dom "file://$copy" 2>"$2.measure.log" |
		sed -n 's|.*<pre id="widths">\([^<]*\)</pre>.*|\1|p'
}

# fits WIDTHS: every "name=scroll/visible" in WIDTHS has scroll ≤ visible,
# and the results table is among them.
fits() {
	[[ $1 == *results=* ]] || return 1
	local w sw vw
	for w in $1; do
		sw=${w#*=} vw=${sw#*/} sw=${sw%/*}
		[ "$sw" -le "$vw" ] || return 1
	done
}

# has COUNT PATTERN FILE: FILE has at least COUNT lines matching PATTERN.
has() { [ "$(grep -cE -- "$2" "$3" || true)" -ge "$1" ]; }

for name in seed-816s cap-sweep tiny-run; do
	page=$REPORTS/$name/index.html
	dom=$OUT/$name.dom.html
	log=$OUT/$name.console.log
	chrome --dump-dom "file://$page" >"$dom" 2>"$log"
	headline=$(sed -n 's/^\*\*\(.*\)\*\*$/\1/p' "$REPORTS/$name/table.md" | sed 's/&/\&amp;/g')
	rows=$(($(wc -l <"$REPORTS/$name/table.csv") - 1))
	check "$name: DOM has the headline from table.md" grep -qF -- "$headline" "$dom"
	check "$name: DOM has the results and detail tables with $rows rows each" \
		test "$(grep -o '<tr' "$dom" | wc -l)" -eq $((2 * (rows + 1)))
	widths=$(table_widths "$page" "$OUT/$name")
	check "$name: at 1400 px every table fits, nothing scrolled out of view ($widths)" fits "$widths"
	tr '\n' ' ' <"$dom" >"$dom.flat"
	for chart in headline wall throughput latency cdf inflight; do
		check "$name: chart $chart is an inline <svg> with a title" \
			grep -qE "<figure id=\"chart-$chart\"> *<svg[^>]*viewBox=\"0 0 600 375\".*</svg> *<figcaption>" "$dom.flat"
	done
	check "$name: scenario in words" grep -q 'id="scenario"' "$dom"
	check "$name: links results.json, requests.jsonl, table.md, table.csv" \
		has 4 'href="(results.json|requests.jsonl|table.md|table.csv)"' <(grep -oE 'href="[^"]*"' "$dom")
	check "$name: nothing loaded from the network" bash -c "! grep -qE '(src|href)=\"(https?:)?//' '$dom'"
	msgs=$(console_messages "$log")
	check "$name: no console messages${msgs:+: $msgs}" test -z "$msgs"
done

# The widths check must see a table that does not fit.
cat >"$OUT/wide.html" <<'HTML'
<!DOCTYPE html><html><body><main style="max-width:600px"><div class="tablewrap" style="overflow-x:auto"><table id="results"><tr><td style="min-width:900px">wide</td></tr></table></div></main></body></html>
HTML
widths=$(table_widths "$OUT/wide.html" "$OUT/wide")
check "self-test: a table wider than its box is caught ($widths)" bash -c "[[ '$widths' == *results=* ]] && $(declare -f fits) && ! fits '$widths'"

shot=$OUT/screenshot.png
chrome --hide-scrollbars --window-size=1400,3400 --screenshot="$shot" "file://$REPORTS/seed-816s/index.html" \
	>/dev/null 2>"$OUT/screenshot.log"
check "screenshot written ($shot)" test -s "$shot"
chrome --hide-scrollbars --window-size=1280,900 --screenshot="$OUT/index.png" "file://$REPORTS/index.html" \
	>/dev/null 2>"$OUT/index.log"
check "reports/index.html screenshot written" test -s "$OUT/index.png"

if [ $fail != 0 ]; then
	echo "e2e: FAILED (pages, DOM dumps and logs in $OUT)"
	exit 1
fi
echo "e2e: all checks passed; screenshot: $shot"
