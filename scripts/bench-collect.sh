#!/usr/bin/env bash
# Collector throughput (issue 11): reports per second accepted by `cyberctl collect` with verification,
# without and with --db ingest, pushed by AGENTS concurrent curl clients (one curl process per agent,
# keeping its TLS connection across its uploads with --next), on this machine; side by side in the
# same run with `cyberctl verify` (one process, every report) and `openssl cms -verify` (one process
# per report) of the same reports; the collector's peak RSS.
# Prints a Markdown table for docs/benchmarks.md. Run it once the feature is done, on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

AGENTS=${AGENTS:-16}        # concurrent clients, one enrolled agent each
PER_AGENT=${PER_AGENT:-40}  # reports per agent
SIZE=${SIZE:-20000}         # approximate report size in bytes

swift build -c release --product cyberctl >&2
BIN="$(swift build -c release --show-bin-path)/cyberctl"
work=$(mktemp -d)
collector_pid=""
cleanup() { [ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$BIN" pki init --dir "$work/pki" --name "Bench CA" >/dev/null
ca="$work/pki/ca.pem" crl="$work/pki/crl.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/collector.key" 2>/dev/null
chmod 600 "$work/collector.key"
openssl req -new -key "$work/collector.key" -subj /CN=localhost -out "$work/collector.csr"
"$BIN" pki issue "$work/collector.csr" --server --san DNS:localhost --san IP:127.0.0.1 --dir "$work/pki" --out "$work/collector.crt" >/dev/null

# Valid SIRENs (Luhn) for the agents: 9 digits, the last one a check digit.
siren() {
    local base; base=$(printf '%08d' $((21290000 + $1)))
    local sum=0 i d
    for i in 0 1 2 3 4 5 6 7; do
        d=${base:$i:1}
        if [ $((i % 2)) -eq 1 ]; then d=$((d * 2)); [ $d -gt 9 ] && d=$((d - 9)); fi
        sum=$((sum + d))
    done
    # The check digit is at an even position from the right (1-based: 1), so it is not doubled.
    local check=$(( (10 - sum % 10) % 10 ))
    echo "$base$check"
}

echo "preparing $AGENTS agents × $PER_AGENT reports of ~$SIZE bytes…" >&2
for a in $(seq "$AGENTS"); do
    dir="$work/agent$a"
    "$BIN" enroll --entity-name "Commune $a" --siren "$(siren "$a")" --host "srv-$a" --dir "$dir" >/dev/null
    "$BIN" pki issue "$dir/agent.csr" --dir "$work/pki" --out "$dir/agent.crt" >/dev/null
    "$BIN" benchmark-signing --key "$dir/agent.key" --cert "$dir/agent.crt" --ca "$ca" --out "$dir/r" --size "$SIZE" --reports "$PER_AGENT" \
        --outbox "$dir/outbox"
done
total=$((AGENTS * PER_AGENT))
bytes=$(stat -c %s "$work/agent1/r-0000.json")

# A curl config pushing every report of agent $1 to port $2, one connection, one status per line.
curl_config() {
    local dir="$work/agent$1" first=1 f sha
    for f in "$dir"/r-*.json; do
        [ $first -eq 1 ] || echo "next"
        first=0
        sha=$(sha256sum "$f" | cut -d' ' -f1)
        cat <<CFG
url = "https://127.0.0.1:$2/v1/reports"
cacert = "$ca"
cert = "$dir/agent.crt"
key = "$dir/agent.key"
header = "X-Cyberctl-Report-SHA256: $sha"
user-agent = "cyberctl/bench"
form = "report=@$f;type=application/json"
form = "signature=@$f.p7s;type=application/pkcs7-signature"
output = "/dev/null"
write-out = "%{http_code}\\n"
silent
CFG
    done
}

# Runs a collector with extra arguments "$@", pushes everything, prints "seconds accepted rss_kib".
run_collector() {
    local inbox="$work/inbox-$RANDOM" log="$work/collect-$RANDOM.log"
    "$BIN" collect --listen 127.0.0.1:0 --tls-cert "$work/collector.crt" --tls-key "$work/collector.key" --ca "$ca" --crl "$crl" \
        --inbox "$inbox" --rate 1000000/min ${COLLECT_ARGS:-} "$@" 2>"$log" &
    collector_pid=$!
    local port=""
    for _ in $(seq 600); do
        port=$(grep -o 'address=[^ ]*' "$log" | head -1 | sed 's/.*://' || true)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$log" >&2; exit 1; }
    for a in $(seq "$AGENTS"); do
        curl_config "$a" "$port" > "$work/curl-$a.cfg"
        printf 'signing:\n  key: %s\n  certificate: %s\ncollector:\n  url: https://127.0.0.1:%s\n  ca: %s\n  outbox: %s\n' \
            "$work/agent$a/agent.key" "$work/agent$a/agent.crt" "$port" "$ca" "$work/agent$a/outbox" > "$work/agent$a/agent.yaml"
    done
    local start end
    start=$(date +%s.%N)
    local pids=()
    for a in $(seq "$AGENTS"); do
        if [ "${CLIENT:-curl}" = push ]; then
            "$BIN" push --config "$work/agent$a/agent.yaml" >/dev/null 2>&1 & pids+=($!)
        else
            curl -K "$work/curl-$a.cfg" > "$work/status-$a.txt" & pids+=($!)
        fi
    done
    wait "${pids[@]}" || true
    end=$(date +%s.%N)
    local accepted rss
    accepted=$(grep -c 'status=201' "$log" || true)
    rss=$(awk '/VmHWM/ { print $2 }' "/proc/$collector_pid/status")
    # The collector's own CPU time (user + system, clock ticks), the clients' excluded.
    local ticks; ticks=$(awk '{ print $14 + $15 }' "/proc/$collector_pid/stat")
    kill -TERM "$collector_pid"; wait "$collector_pid" 2>/dev/null || true
    collector_pid=""
    local stored; stored=$(find "$inbox" -name '*.json' -not -path '*/.incoming/*' | wc -l)
    [ "$accepted" -eq "$total" ] && [ "$stored" -eq "$total" ] || { echo "accepted $accepted, stored $stored of $total" >&2; tail -5 "$log" >&2; exit 1; }
    awk -v s="$start" -v e="$end" -v n="$accepted" -v r="$rss" -v c="$ticks" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.2f %d %d %.2f\n", e - s, n, r, 1000 * c / hz / n }'
}

read -r t_plain n_plain rss_plain cpu_plain < <(run_collector)
read -r t_db n_db rss_db cpu_db < <(run_collector --db "$work/territory.sqlite")
# The same reports delivered by the agents themselves: one `cyberctl push` process per agent, its outbox filled.
read -r t_push n_push rss_push cpu_push < <(CLIENT=push run_collector --db "$work/territory-push.sqlite")
left=$(find "$work"/agent*/outbox -name state.json | wc -l)
[ "$left" -eq 0 ] || { echo "$left pairs left in the outboxes" >&2; exit 1; }

# The same reports through cyberctl verify (one process, all files) and openssl cms -verify (a process each).
files=("$work"/agent*/r-*.json)
start=$(date +%s.%N)
"$BIN" verify "${files[@]}" --ca "$ca" --crl "$crl" >/dev/null 2>&1
end=$(date +%s.%N)
t_verify=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')
start=$(date +%s.%N)
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -I{} openssl cms -verify -binary -inform DER -in {}.p7s -content {} -CAfile "$ca" -purpose any -out /dev/null 2>/dev/null
end=$(date +%s.%N)
t_openssl=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')

rate() { awk -v n="$total" -v t="$1" 'BEGIN { printf "%.0f", n / t }'; }
cat <<TABLE
$total reports of $bytes bytes from $AGENTS concurrent agents (curl, one TLS connection each, mutual TLS with ECDSA P-256). $(nproc) cores; load average $(cut -d' ' -f1 /proc/loadavg) at the end. $(openssl version). $(date -u +%Y-%m-%dT%H:%MZ). Wall-clock times.

| what | reports/s | total time | collector CPU per report | collector peak RSS |
|---|---|---|---|---|
| \`cyberctl collect\` (mTLS + multipart + verification + durable inbox) | $(rate "$t_plain") | ${t_plain} s | ${cpu_plain} ms | $((rss_plain / 1024)) MiB |
| \`cyberctl collect --db\` (the same + ingest into the territory store) | $(rate "$t_db") | ${t_db} s | ${cpu_db} ms | $((rss_db / 1024)) MiB |
| \`cyberctl collect --db\`, the agents' own \`cyberctl push\` as clients ($AGENTS processes) | $(rate "$t_push") | ${t_push} s | ${cpu_push} ms | $((rss_push / 1024)) MiB |
| \`cyberctl verify\` of the same files (one process, verification only) | $(rate "$t_verify") | ${t_verify} s | | |
| \`openssl cms -verify\` of the same files (one process each, $(nproc) at a time) | $(rate "$t_openssl") | ${t_openssl} s | | |
TABLE
