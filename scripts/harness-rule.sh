#!/usr/bin/env bash
# harness-rule.sh: the measurements behind the harness-bound rule. Runs a
# scenario at several fixed time scales and prints, for every cell, the
# harness error the run estimated (harness.error: the measured overheads
# fed to the model) against the error it really had (measured vs
# predicted wall time: 1/efficiency − 1), and whether the cell was flagged.
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
print(f"{'cell':22} {'scale':>7} {'estimated':>9} {'measured':>9} {'bound':>5} {'cpu':>5} {'added/att':>9}")
pairs = []
for s in scales:
    r = json.load(open(f"{tmp}/{s}/results.json"))
    for c in r["cells"]:
        h, eff = c.get("harness") or {}, c.get("efficiency") or 0
        if not eff:
            continue
        truth = 1/eff - 1
        pairs.append((h.get("error", 0), truth))
        label = f"{c['strategy']}/p={c['pool']}"
        print(f"{label:22} {s:>7} {100*h.get('error',0):8.1f}% {100*truth:8.1f}% {str(h.get('bound')):>5} {h.get('cpu',0):5.2f} {1e3*h.get('added_per_attempt',0):7.2f}ms")
ok = [t for e, t in pairs if e <= 0.02]
flag = [t for e, t in pairs if e > 0.02]
if ok:
    print(f"cells within the 2% budget by the estimate: {len(ok)}; their measured error: max {100*max(ok):.1f}%, over 2%: {sum(t > 0.02 for t in ok)}")
if flag:
    print(f"cells flagged: {len(flag)}; their measured error: min {100*min(flag):.1f}%")
PY
