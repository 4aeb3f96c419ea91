#!/usr/bin/env bash
# Two collectors on one PostgreSQL vs one collector on SQLite (issue 20): N signed reports pushed over mutual TLS
# by AGENTS concurrent curl clients (one TLS connection each); with PostgreSQL, half the agents push to each
# collector, both collectors at once. Same reports, same machine, same run. Then: nothing lost, nothing twice
# (report count, distinct SHA-256, the stored SHA-256 set equal to the set sent).
# Prints a Markdown table for docs/benchmarks.md. Needs PostgreSQL's server (apt install postgresql); under root
# the throwaway cluster runs as the postgres user.
set -euo pipefail
cd "$(dirname "$0")/.."

AGENTS=${AGENTS:-16}        # concurrent clients, one enrolled agent each (even number)
PER_AGENT=${PER_AGENT:-125} # reports per agent: N = AGENTS × PER_AGENT
SIZE=${SIZE:-20000}         # approximate report size in bytes
CONFIG=${CONFIG:-release}

swift build -c "$CONFIG" --product cyberctl >&2
BIN="$(swift build -c "$CONFIG" --show-bin-path)/cyberctl"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/bench-pg-XXXXXX)
chmod 755 "$work"
pids=()
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -d "$work/pg/data" ] && as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# A throwaway cluster on a free loopback port: durable commits as in production (fsync and synchronous_commit on).
mkdir -p "$work/pg"; echo bench-secret > "$work/pg/pw"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work/pg"
as_pg "$PGBIN/initdb" -D "$work/pg/data" -U bench --pwfile="$work/pg/pw" --auth-host=scram-sha-256 --auth-local=trust \
    --encoding=UTF8 --locale=C >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -o "-c listen_addresses=127.0.0.1 -p $port -k $work/pg -c synchronous_commit=${PG_SYNCHRONOUS_COMMIT:-on}" -w start >/dev/null
export PGPASSWORD=bench-secret
"$PGBIN/psql" -X -q -h 127.0.0.1 -p "$port" -U bench -d postgres -c "CREATE DATABASE territoire"
uri="postgresql://bench@127.0.0.1:$port/territoire?sslmode=disable"
psql_q() { "$PGBIN/psql" -X -q -A -t -h 127.0.0.1 -p "$port" -U bench -d territoire -c "$1"; }

"$BIN" pki init --dir "$work/pki" --name "Bench CA" >/dev/null
ca="$work/pki/ca.pem" crl="$work/pki/crl.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/collector.key" 2>/dev/null
chmod 600 "$work/collector.key"
openssl req -new -key "$work/collector.key" -subj /CN=localhost -out "$work/collector.csr"
"$BIN" pki issue "$work/collector.csr" --server --san DNS:localhost --san IP:127.0.0.1 --dir "$work/pki" --out "$work/collector.crt" >/dev/null

siren() {
    local base; base=$(printf '%08d' $((21290000 + $1)))
    local sum=0 i d
    for i in 0 1 2 3 4 5 6 7; do
        d=${base:$i:1}
        if [ $((i % 2)) -eq 1 ]; then d=$((d * 2)); [ $d -gt 9 ] && d=$((d - 9)); fi
        sum=$((sum + d))
    done
    echo "$base$(( (10 - sum % 10) % 10 ))"
}

echo "preparing $AGENTS agents × $PER_AGENT reports of ~$SIZE bytes…" >&2
for a in $(seq "$AGENTS"); do
    dir="$work/agent$a"
    "$BIN" enroll --entity-name "Commune $a" --siren "$(siren "$a")" --host "srv-$a" --dir "$dir" >/dev/null
    "$BIN" pki issue "$dir/agent.csr" --dir "$work/pki" --out "$dir/agent.crt" >/dev/null
    "$BIN" benchmark-signing --key "$dir/agent.key" --cert "$dir/agent.crt" --ca "$ca" --out "$dir/r" --size "$SIZE" --reports "$PER_AGENT" >/dev/null
done
total=$((AGENTS * PER_AGENT))
bytes=$(stat -c %s "$work/agent1/r-0000.json")
# Every report's SHA-256 once (xargs: 100,000 paths exceed one command line), read back by curl_config.
find "$work" -path "$work/agent*/r-*.json" -print0 | sort -z | xargs -0 sha256sum > "$work/sums"
cut -d' ' -f1 "$work/sums" | sort > "$work/sent.sha"

curl_config() {
    local dir="$work/agent$1" first=1 f sha
    while read -r sha f; do
        [ $first -eq 1 ] || echo "next"
        first=0
        cat <<CFG
url = "https://127.0.0.1:$2/v1/reports"
cacert = "$ca"
cert = "$dir/agent.crt"
key = "$dir/agent.key"
header = "X-Cyberctl-Report-SHA256: $sha"
form = "report=@$f;type=application/json"
form = "signature=@$f.p7s;type=application/pkcs7-signature"
output = "/dev/null"
write-out = "%{http_code}\\n"
silent
max-time = 600
CFG
    done < <(grep -F "  $dir/r-" "$work/sums")
}

# Starts a collector on --db "$1"; sets $started_pid and $started_port.
start_collector() {
    local log="$work/collect-$RANDOM.log"
    "$BIN" collect --listen 127.0.0.1:0 --tls-cert "$work/collector.crt" --tls-key "$work/collector.key" --ca "$ca" --crl "$crl" \
        --inbox "$work/inbox-$RANDOM" --rate 100000/min --queue-limit 4096 --db "$1" 2>"$log" &
    started_pid=$!
    pids+=("$started_pid")
    started_port=""
    for _ in $(seq 600); do
        started_port=$(grep -o 'address=[^ ]*' "$log" | head -1 | sed 's/.*://' || true)
        [ -n "$started_port" ] && return
        sleep 0.1
    done
    cat "$log" >&2; exit 1
}

# Pushes agent a to port ports[a % count]; prints the seconds taken.
push_all() {
    local ports=("$@") a clients=()
    for a in $(seq "$AGENTS"); do curl_config "$a" "${ports[$((a % ${#ports[@]}))]}" > "$work/curl-$a.cfg"; done
    local start end
    start=$(date +%s.%N)
    for a in $(seq "$AGENTS"); do curl -K "$work/curl-$a.cfg" > "$work/status-$a.txt" & clients+=($!); done
    wait "${clients[@]}" || true
    end=$(date +%s.%N)
    local bad; bad=$(cat "$work"/status-*.txt | grep -vc '^201$' || true)
    [ "$bad" -eq 0 ] || { echo "$bad uploads not answered 201" >&2; exit 1; }
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", e - s }'
}

# One collector on SQLite.
start_collector "$work/territory.sqlite"; one=$started_pid
t_sqlite=$(push_all "$started_port")
kill -TERM "$one"; wait "$one" 2>/dev/null || true
sqlite3 "$work/territory.sqlite" "SELECT sha256 FROM report ORDER BY 1" > "$work/sqlite.sha"
cmp -s "$work/sent.sha" "$work/sqlite.sha" || { echo "SQLite: stored SHA-256 set differs from the set sent" >&2; exit 1; }

# Two collectors on one PostgreSQL, half the agents each.
start_collector "$uri"; first=$started_pid; port1=$started_port
start_collector "$uri"; second=$started_pid; port2=$started_port
t_pg=$(push_all "$port1" "$port2")
kill -TERM "$first" "$second"; wait "$first" "$second" 2>/dev/null || true
read -r rows distinct < <(psql_q "SELECT COUNT(*), COUNT(DISTINCT sha256) FROM report" | tr '|' ' ')
psql_q "SELECT sha256 FROM report ORDER BY 1" > "$work/pg.sha"
[ "$rows" -eq "$total" ] && [ "$distinct" -eq "$total" ] && cmp -s "$work/sent.sha" "$work/pg.sha" \
    || { echo "PostgreSQL: $rows rows, $distinct distinct, sets equal: $(cmp -s "$work/sent.sha" "$work/pg.sha" && echo yes || echo no)" >&2; exit 1; }

rate() { awk -v n="$total" -v t="$1" 'BEGIN { printf "%.0f", n / t }'; }
cat <<TABLE
$total reports of $bytes bytes from $AGENTS concurrent curl clients (mutual TLS, ECDSA P-256), $CONFIG build, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end, $("$PGBIN/postgres" --version), $(date -u +%Y-%m-%dT%H:%MZ). PostgreSQL on the same machine, loopback, synchronous_commit=${PG_SYNCHRONOUS_COMMIT:-on}. Wall-clock times. Nothing lost, nothing twice: $total rows, $total distinct SHA-256, the stored set equal to the set sent, on both.

| store | collectors | reports/s | total time |
|---|---|---|---|
| SQLite (one file, WAL) | 1 | $(rate "$t_sqlite") | ${t_sqlite} s |
| PostgreSQL (one database, advisory-locked writers) | 2, half the agents each | $(rate "$t_pg") | ${t_pg} s |
TABLE
