#!/usr/bin/env bash
# Agent push (issue 11): memory of `cyberctl push` idle (empty outbox) and while delivering N signed reports
# (default 1,000) to the mutual-TLS collector stand-in (scripts/collector-standin.py, Python ssl + http.server,
# which checks the multipart body and the SHA-256 header and stores each pair), release build, /usr/bin/time -v.
# Reference in the same run: curl itself, one process for all N uploads (`curl -K` with one section per
# report, `next` between them: one connection reused, as push does), same certificates, same stand-in.
# Prints a Markdown table for docs/benchmarks.md. Run it once the feature is done, on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-1000}
swift build -c release --product cyberctl >&2
BIN="$(swift build -c release --show-bin-path)/cyberctl"
work=$(mktemp -d)
cleanup() {
    # start_standin runs in a command substitution (a subshell): the stand-ins' pids are kept in files.
    for file in "$work"/standin-*/pid; do [ -f "$file" ] && kill -KILL "$(cat "$file")" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

"$BIN" pki init --dir "$work/pki" --name "Bench CA" >/dev/null
"$BIN" enroll --entity-name "Commune de Plouzané" --siren 212901896 --host srv-bench --dir "$work/etc" >/dev/null
"$BIN" pki issue "$work/etc/agent.csr" --dir "$work/pki" --out "$work/etc/agent.crt" >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$work/server.key" 2>/dev/null
openssl req -new -key "$work/server.key" -subj "/CN=localhost" -out "$work/server.csr"
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/pki/ca.pem" -CAkey "$work/pki/ca.key" -set_serial 4242 -days 7 \
    -extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null

# A stand-in collector with a fresh inbox; prints its port.
start_standin() {
    local dir="$work/standin-$1"
    mkdir -p "$dir"
    python3 scripts/collector-standin.py --cert "$work/server.pem" --key "$work/server.key" --ca "$work/pki/ca.pem" \
        --port-file "$dir/port" --inbox "$dir/inbox" --log "$dir/log.jsonl" >/dev/null 2>&1 &
    echo $! > "$dir/pid"
    for _ in $(seq 200); do [ -s "$dir/port" ] && break; sleep 0.05; done
    cat "$dir/port"
}

config() {
    cat > "$work/agent.yaml" <<EOF
entity:
  name: Commune de Plouzané
signing:
  key: $work/etc/agent.key
  certificate: $work/etc/agent.crt
collector:
  url: https://localhost:$1
  ca: $work/pki/ca.pem
  outbox: $2
EOF
}

# /usr/bin/time -v of a command: "<max RSS kB> <elapsed s>".
measure() {
    /usr/bin/time -v "$@" > "$work/out.txt" 2> "$work/time.txt" || true
    awk -F': ' '/Maximum resident set size/ { rss = $2 } /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; el = s } END { print rss, el }' "$work/time.txt"
}

# 1. Idle: an existing, empty outbox (median of 5).
port=$(start_standin idle)
mkdir -p "$work/empty"
config "$port" "$work/empty"
idle=$(for _ in 1 2 3 4 5; do measure "$BIN" push --config "$work/agent.yaml" | cut -d' ' -f1; done | sort -n | sed -n 3p)
idle_status=$(measure "$BIN" push --config "$work/agent.yaml" --status | cut -d' ' -f1)

# 2. N signed reports queued by N real scans (two at a time).
config "$port" "$work/outbox"
mkdir -p "$work/root/etc" "$work/reports"
echo srv-bench > "$work/root/etc/hostname"
printf 'ID=debian\nVERSION_ID="12"\n' > "$work/root/etc/os-release"
# Realistic reports: 24 certificates in a Let's Encrypt layout for cert.files to find and judge, about 60 KB
# of JSON per report.
i=0
for file in $(find /etc/ssl/certs -maxdepth 1 -name '*.pem' | sort | head -24); do
    i=$((i + 1))
    mkdir -p "$work/root/etc/letsencrypt/live/site$i"
    cp -L "$file" "$work/root/etc/letsencrypt/live/site$i/cert.pem"
done
seq "$N" | xargs -P 2 -I{} "$BIN" scan --root "$work/root" --only certificates --fail-on critical \
    --config "$work/agent.yaml" --out "$work/reports/r{}.json" --format json >/dev/null 2>&1 || true  # exit 1: findings (an expired CA certificate)
queued=$(find "$work/outbox" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)
[ "$queued" -eq "$N" ] || { echo "only $queued of $N pairs queued" >&2; exit 1; }
report_bytes=$(stat -c %s "$work/reports/r1.json")

# 3. Reference: curl, one process, N uploads over one reused connection.
port=$(start_standin curl)
{
    for i in $(seq "$N"); do
        r="$work/reports/r$i.json"
        sha=$(sha256sum "$r" | cut -d' ' -f1)
        [ "$i" -gt 1 ] && echo "next"
        cat <<EOF
url = "https://localhost:$port/v1/reports"
form = "report=@$r;type=application/json"
form = "signature=@$r.p7s;type=application/pkcs7-signature"
header = "X-Cyberctl-Report-SHA256: $sha"
header = "Expect:"
cert = "$work/etc/agent.crt"
key = "$work/etc/agent.key"
cacert = "$work/pki/ca.pem"
tlsv1.2
silent
output = "/dev/null"
EOF
    done
} > "$work/curl.cfg"
read -r curl_rss curl_time < <(measure curl -K "$work/curl.cfg")
curl_ok=$(grep -c '"status": 201' "$work/standin-curl/log.jsonl" || true)

# 4. cyberctl push of the same N pairs to a fresh stand-in.
port=$(start_standin push)
config "$port" "$work/outbox"
read -r push_rss push_time < <(measure "$BIN" push --config "$work/agent.yaml" --format json)
push_ok=$(grep -c '"status": 201' "$work/standin-push/log.jsonl" || true)
left=$(find "$work/outbox" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)

rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
cat <<TABLE
$N reports of $report_bytes bytes (+ signature). $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg), $(curl --version | head -1 | cut -d' ' -f1-2), $(python3 --version). $(date -u +%Y-%m-%dT%H:%MZ).

| what | wall time | reports/s | peak memory (max RSS) | accepted (201) |
|---|---:|---:|---:|---:|
| \`cyberctl push\`, empty outbox (median of 5) | — | — | $(mb "$idle") | — |
| \`cyberctl push --status\`, empty outbox | — | — | $(mb "$idle_status") | — |
| \`cyberctl push\`, $N reports | ${push_time} s | $(rate "$N" "$push_time") | $(mb "$push_rss") | $push_ok (outbox left: $left) |
| \`curl -K\` (one process, $N uploads, reference) | ${curl_time} s | $(rate "$N" "$curl_time") | $(mb "$curl_rss") | $curl_ok |
TABLE
