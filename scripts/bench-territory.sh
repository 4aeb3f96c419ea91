#!/usr/bin/env bash
# Consolidation at scale: generated territories of 1,000 to 10,000 signed reports (entities × 5 hosts,
# 62 results each), ingested with full verification into a fresh store, then the views timed.
# Reference in the same run: the stock `openssl cms -verify` on the same reports, one process per
# report (verification only, nothing stored), on the same 2 cores (xargs -P 2).
# Prints a Markdown table for docs/benchmarks.md. Run it on an idle machine, once the feature is done.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 2500 5000 10000"}
STATUS_RUNS=${STATUS_RUNS:-7}
OPENSSL_REPORTS=${OPENSSL_REPORTS:-1000}

swift build -c release --product cyberctl >&2
swift build -c release --product generate-territory >&2
BIN="$(swift build -c release --show-bin-path)/cyberctl"
GENERATE="$(swift build -c release --show-bin-path)/generate-territory"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ms() { awk -v ns="$1" 'BEGIN { printf "%.0f", ns / 1e6 }'; }
# Median wall time in ms of a command run $STATUS_RUNS times (output discarded).
median_ms() {
    local times=() start end
    for _ in $(seq "$STATUS_RUNS"); do
        start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N)
        times+=("$(( (end - start) / 1000000 ))")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
for n in $SIZES; do
    entities=$((n / 5))
    dir="$work/t$n"
    "$GENERATE" --out "$dir" --reports "$n" --entities "$entities" --hosts 5 >/dev/null
    db="$dir/territory.sqlite"
    /usr/bin/time -f "%e %M" -o "$dir/time" "$BIN" consolidate "$dir/inbox" --db "$db" --ca "$dir/ca/ca.pem" >"$dir/summary"
    read -r wall rss_kb <"$dir/time"
    again_start=$(date +%s%N)
    "$BIN" consolidate "$dir/inbox" --db "$db" --ca "$dir/ca/ca.pem" >/dev/null
    again=$(ms $(( $(date +%s%N) - again_start )))
    status=$(median_ms "$BIN" territory status --db "$db")
    status_json=$(median_ms "$BIN" territory status --db "$db" --format json)
    /usr/bin/time -f "%M" -o "$dir/status-rss" "$BIN" territory status --db "$db" >/dev/null
    findings=$(median_ms "$BIN" territory findings --db "$db" --top 20)
    certs=$(median_ms "$BIN" territory certificates --db "$db" --expiring 60d)
    html_start=$(date +%s%N)
    "$BIN" territory status --db "$db" --format html >"$dir/dashboard.html"
    html=$(ms $(( $(date +%s%N) - html_start )))
    size_mb=$(du -m "$db" | cut -f1)
    rate=$(awk -v n="$n" -v s="$wall" 'BEGIN { printf "%.0f", n / s }')
    rows+=("| $n | $entities | ${wall} s | ${rate}/s | $((rss_kb / 1024)) MB | ${again} ms | ${status} ms | ${status_json} ms | $(( $(cat "$dir/status-rss") / 1024 )) MB | ${findings} ms | ${certs} ms | ${html} ms | ${size_mb} MB |")
    echo "${rows[-1]}" >&2
    last="$dir"
done

# Reference: stock openssl cms -verify, one process per report, two at a time.
find "$last/inbox" -name '*.json' | sort >"$work/all"
head -n "$OPENSSL_REPORTS" "$work/all" >"$work/sample"
count=$(wc -l <"$work/sample")
start=$(date +%s%N)
xargs -P 2 -I{} openssl cms -verify -binary -inform DER -in {}.p7s -content {} -CAfile "$last/ca/ca.pem" -purpose any -out /dev/null 2>/dev/null <"$work/sample"
end=$(date +%s%N)
ossl_rate=$(awk -v n="$count" -v ns="$((end - start))" 'BEGIN { printf "%.0f", n * 1e9 / ns }')
mkdir -p "$work/sub/inbox"
while read -r f; do rel=${f#"$last/inbox/"}; mkdir -p "$work/sub/inbox/$(dirname "$rel")"; cp "$f" "$f.p7s" "$work/sub/inbox/$(dirname "$rel")/"; done <"$work/sample"
start=$(date +%s%N)
"$BIN" consolidate "$work/sub/inbox" --db "$work/sub/t.sqlite" --ca "$last/ca/ca.pem" >/dev/null
end=$(date +%s%N)
ours=$(awk -v n="$count" -v ns="$((end - start))" 'BEGIN { printf "%.0f", n * 1e9 / ns }')

cat <<TABLE
$(nproc) cores, $(openssl version), SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)'), $(date -u +%Y-%m-%dT%H:%MZ). Load average (1, 5, 15 min) at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg).

| reports | entities | ingest (verify + store) | rate | peak RSS | re-ingest (all known) | status (table) | status (json) | status RSS | findings --top 20 | certificates 60d | HTML dashboard | store size |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$(printf '%s\n' "${rows[@]}")

Reference, same run, $count of the same reports: \`openssl cms -verify\` (one process per report, 2 in parallel): ${ossl_rate}/s (verification only, nothing stored);
\`cyberctl consolidate\` on the same files: ${ours}/s including JSON Schema validation, CRL check and storage — ratio $(awk -v a="$ours" -v b="$ossl_rate" 'BEGIN { printf "%.1f×", a / b }').
TABLE
