#!/usr/bin/env bash
# harness-rule.sh: the measurements behind the harness-bound rule. Runs a
# scenario at several fixed time scales and prints, for every cell, the
# harness error the run estimated (harness.error: the measured overheads
# fed to the model) against the error it really had (measured vs
# predicted wall time: 1/efficiency − 1), and whether the cell was flagged;
# then how far the cells the rule let through really were from the model,
# and how close the flagged ones were.
#
#   scripts/harness-rule.sh SCENARIO [SCALE...]      (default scales 0.02 0.1 0.2 0.5 1)
#
# Needs python3. Wrap it in `flock /work/measure.lock` on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=$1; shift
scales=${*:-0.02 0.1 0.2 0.5 1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/poolbench" .
for s in $scales; do
	"$tmp/poolbench" run -out "$tmp/$s" -timescale "$s" "$scenario" >/dev/null 2>&1 || true
done
python3 - "$tmp" $scales <<'PY'
import json, sys
tmp, scales = sys.argv[1], sys.argv[2:]
print(f"{'cell':22} {'scale':>7} {'estimated':>9} {'sens.':>7} {'measured':>9} {'bound':>5} {'cpu':>5} {'added/att':>9}")
passed, flagged, budget = [], [], None
for s in scales:
    r = json.load(open(f"{tmp}/{s}/results.json"))
    budget = r["scenario"].get("error_budget", 0.02)
    for c in r["cells"]:
        h, eff = c.get("harness") or {}, c.get("efficiency") or 0
        if not eff:
            continue
        truth = 1/eff - 1
        (flagged if h.get("bound") else passed).append(abs(truth))
        label = f"{c['strategy']}/p={c['pool']}"
        print(f"{label:22} {s:>7} {100*h.get('error',0):8.1f}% {100*h.get('sensitivity',0):6.1f}% {100*truth:8.1f}% {str(h.get('bound')):>5} {h.get('cpu',0):5.2f} {1e3*h.get('added_per_attempt',0):7.2f}ms")
if passed:
    print(f"cells the rule let through: {len(passed)}; measured |error| max {100*max(passed):.1f}%, over the {100*budget:.0f}% budget: {sum(t > budget for t in passed)}")
if flagged:
    print(f"cells flagged: {len(flagged)}; measured |error| min {100*min(flagged):.1f}%, within the budget: {sum(t <= budget for t in flagged)}")
PY
