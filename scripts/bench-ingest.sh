#!/usr/bin/env bash
# Ingest against verification (issue 20): the same generated signed reports (generate-territory: entities × 5
# hosts, 62 results each) verified by `cyberctl verify` (in-process, both cores, nothing stored), then verified
# and stored by `cyberctl consolidate` into a fresh SQLite store, RUNS times each, alternating. Wall and CPU
# (user + system) from GNU time, and their ratios. Reference tool in the same run: the stock `openssl cms -verify`
# on OPENSSL_REPORTS of the same reports (one process per report, two at a time; verification only).
#
# Usage: REPORTS=10000 RUNS=3 scripts/bench-ingest.sh   (builds release; run it on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."
REPORTS=${REPORTS:-10000}
RUNS=${RUNS:-3}
OPENSSL_REPORTS=${OPENSSL_REPORTS:-1000}

swift build -c release --product cyberctl >&2
swift build -c release --product generate-territory >&2
BIN="$(swift build -c release --show-bin-path)/cyberctl"
GENERATE="$(swift build -c release --show-bin-path)/generate-territory"
work=$(mktemp -d /tmp/cyberctl-bench-ingest-XXXXXX)
trap 'rm -rf "$work"' EXIT

"$GENERATE" --out "$work/t" --reports "$REPORTS" --entities $((REPORTS / 5)) --hosts 5 >/dev/null
find "$work/t/inbox" -name '*.json' | sort > "$work/all"
ca="$work/t/ca/ca.pem"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# "wall cpu" of a command, from GNU time.
timed() {
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; cat "$work/time" >&2; exit 1; }
    awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$work/time"
}
verify_rows=() ingest_rows=()
for run in $(seq "$RUNS"); do
    verify_rows+=("$(timed xargs -a "$work/all" "$BIN" verify --ca "$ca" --format json)")
    rm -f "$work/store.sqlite"*
    ingest_rows+=("$(timed "$BIN" consolidate "$work/t/inbox" --db "$work/store.sqlite" --ca "$ca")")
    stored=$(sqlite3 "$work/store.sqlite" "SELECT COUNT(*) FROM report")
    [ "$stored" -eq "$REPORTS" ] || { echo "stored $stored of $REPORTS" >&2; exit 1; }
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
vw=$(median "${verify_rows[@]%% *}") vc=$(median "${verify_rows[@]##* }")
iw=$(median "${ingest_rows[@]%% *}") ic=$(median "${ingest_rows[@]##* }")

head -n "$OPENSSL_REPORTS" "$work/all" > "$work/some"
ostart=$(date +%s.%N)
xargs -a "$work/some" -P 2 -I{} openssl cms -verify -binary -inform DER -in {}.p7s -content {} -CAfile "$ca" -purpose any -out /dev/null 2>/dev/null
oend=$(date +%s.%N)

cat <<TABLE
$REPORTS reports ($((REPORTS / 5)) entities × 5 hosts, 62 results each), release build, $(nproc) cores, $(openssl version | cut -d' ' -f1-2), SQLite $(sqlite3 --version | cut -d' ' -f1), $(date -u +%Y-%m-%dT%H:%MZ). Load average at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg). Median of $RUNS runs each, alternating.

| what | wall | reports/s | CPU (user + system) | CPU per report |
|---|---:|---:|---:|---:|
| \`cyberctl verify\` (CMS, chain, CRL, agent identity, JSON Schema; nothing stored) | ${vw} s | $(awk -v n="$REPORTS" -v t="$vw" 'BEGIN { printf "%.0f", n / t }') | ${vc} s | $(awk -v n="$REPORTS" -v t="$vc" 'BEGIN { printf "%.2f", 1000 * t / n }') ms |
| \`cyberctl consolidate\` (the same, then stored in a fresh SQLite store) | ${iw} s | $(awk -v n="$REPORTS" -v t="$iw" 'BEGIN { printf "%.0f", n / t }') | ${ic} s | $(awk -v n="$REPORTS" -v t="$ic" 'BEGIN { printf "%.2f", 1000 * t / n }') ms |
| ratio, ingest / verification | $(awk -v a="$iw" -v b="$vw" 'BEGIN { printf "%.2f×", a / b }') | | $(awk -v a="$ic" -v b="$vc" 'BEGIN { printf "%.2f×", a / b }') | |

Reference, same run: \`openssl cms -verify\` on $OPENSSL_REPORTS of the same reports, one process per report, two at a time: $(awk -v n="$OPENSSL_REPORTS" -v s="$ostart" -v e="$oend" 'BEGIN { printf "%.0f", n / (e - s) }') reports/s (verification only).
TABLE
