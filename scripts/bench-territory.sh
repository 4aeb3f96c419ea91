#!/usr/bin/env bash
# Consolidation at scale: generated territories of 1,000 to 10,000 signed reports (entities × 5 hosts,
# 62 results each), ingested with full verification into a fresh store, then the views timed.
# Reference in the same run: the stock `openssl cms -verify` on the same reports, one process per
# report (verification only, nothing stored), on the same 2 cores (xargs -P 2).
# Prints a Markdown table for docs/benchmarks.md. Run it on an idle machine, once the feature is done.
#
# Knobs (issue 20, "Territory views on 100,000 reports"):
#   SIZES="100000" WEEKS=1          20,000 entities x 5 hosts x 1 report (every report a latest one)
#   SIZES="100000" WEEKS=5          4,000 entities x 5 hosts x 5 weekly reports (history)
#   BACKENDS="sqlite postgresql"    also copy each store into a throwaway PostgreSQL cluster (`territory migrate`) and
#                                   time the same views there (needs PostgreSQL's server: apt install postgresql)
#   STATUS_RUNS=5                   runs per view (median); OPENSSL_REPORTS=0 skips the openssl reference
#   KEEP=DIR                        keep the generated territories and stores in DIR (otherwise a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 2500 5000 10000"}
WEEKS=${WEEKS:-1}
BACKENDS=${BACKENDS:-sqlite}
STATUS_RUNS=${STATUS_RUNS:-7}
OPENSSL_REPORTS=${OPENSSL_REPORTS:-1000}

swift build -c release --product cyberctl >&2
swift build -c release --product generate-territory >&2
BIN="$(swift build -c release --show-bin-path)/cyberctl"
GENERATE="$(swift build -c release --show-bin-path)/generate-territory"
if [ -n "${KEEP:-}" ]; then work=$KEEP; mkdir -p "$work"; else work=$(mktemp -d); fi
chmod 755 "$work"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    [ -d "$work/pg/data" ] && as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
pg_uri=""
if [[ " $BACKENDS " == *" postgresql "* ]]; then
    # A throwaway cluster on a free loopback port, as scripts/bench-postgres.sh starts one (default settings).
    rm -rf "$work/pg"; mkdir -p "$work/pg"; echo bench-secret > "$work/pg/pw"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$work/pg"
    as_pg "$PGBIN/initdb" -D "$work/pg/data" -U bench --pwfile="$work/pg/pw" --auth-host=scram-sha-256 --auth-local=trust \
        --encoding=UTF8 --locale=C >/dev/null
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -o "-c listen_addresses=127.0.0.1 -p $port -k $work/pg" -w start >/dev/null
    export PGPASSWORD=bench-secret
    pg_uri="postgresql://bench@127.0.0.1:$port"
fi

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

# The views of one store, on one backend: status, status json, findings --top 20, certificates 60d, HTML dashboard.
view_times() {
    local db=$1
    echo "$(median_ms "$BIN" territory status --db "$db") $(median_ms "$BIN" territory status --db "$db" --format json)" \
        "$(median_ms "$BIN" territory findings --db "$db" --top 20) $(median_ms "$BIN" territory certificates --db "$db" --expiring 60d)" \
        "$(median_ms "$BIN" territory status --db "$db" --format html)"
}

# The PostgreSQL table, when BACKENDS has it.
print_pg() {
    [ -n "$pg_uri" ] || return 0
    echo
    echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') (throwaway cluster, default settings), the same stores copied with \`territory migrate\`:"
    echo
    echo "| reports | entities | weeks | copy | status (table) | status (json) | findings --top 20 | certificates 60d | HTML dashboard | database size |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${pg_rows[@]}"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
pg_rows=()
for n in $SIZES; do
    entities=$((n / 5 / WEEKS))
    dir="$work/t$n-w$WEEKS"
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
    if [ -n "$pg_uri" ]; then
        database="t${n}w$WEEKS"
        "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$port" -U bench -d postgres -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
        copy_start=$(date +%s%N)
        "$BIN" territory migrate --from "$db" --to "$pg_uri/$database?sslmode=disable" >/dev/null
        copy=$(ms $(( $(date +%s%N) - copy_start )))
        read -r pg_status pg_json pg_findings pg_certs pg_html < <(view_times "$pg_uri/$database?sslmode=disable")
        pg_size=$("$PGBIN/psql" -X -q -A -t -h 127.0.0.1 -p "$port" -U bench -d postgres -c "SELECT pg_database_size('$database') / 1048576")
        pg_rows+=("| $n | $entities | $WEEKS | $((copy / 1000)) s | ${pg_status} ms | ${pg_json} ms | ${pg_findings} ms | ${pg_certs} ms | ${pg_html} ms | ${pg_size} MB |")
        echo "${pg_rows[-1]}" >&2
    fi
    last="$dir"
done
if [ "$OPENSSL_REPORTS" -eq 0 ]; then
    echo "$(nproc) cores, SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)'), $(date -u +%Y-%m-%dT%H:%MZ), $WEEKS weekly report(s) per host. Load average (1, 5, 15 min) at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "| reports | entities | ingest (verify + store) | rate | peak RSS | re-ingest (all known) | status (table) | status (json) | status RSS | findings --top 20 | certificates 60d | HTML dashboard | store size |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    print_pg
    exit 0
fi

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
print_pg
