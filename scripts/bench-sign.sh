#!/usr/bin/env bash
# Signing and verification throughput for ~50 KB reports, on one core (taskset -c 0), with the
# reference tool in the same run:
#   - cyberctl in-process (the Trust library, as `cyberctl consolidate` uses it): sign, verify;
#   - one process per operation: `openssl cms -sign/-verify` and `cyberctl verify`;
#   - one `cyberctl verify` process checking 200 reports.
# Rates are counted in CPU time (the thread's for in-process work, the processes' user + system time
# otherwise), so a busy shared machine skews them less than wall-clock time would.
# Prints a Markdown table for docs/benchmarks.md. Run it on an idle machine, once the feature is done.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER=${SECONDS_PER:-5}   # seconds per in-process measurement
RUNS=${RUNS:-200}               # process launches per per-process measurement

swift build -c release --product cyberctl >&2
BIN="$(swift build -c release --show-bin-path)/cyberctl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pin="taskset -c 0"
command -v taskset >/dev/null || pin=""

"$BIN" pki init --dir "$work/pki" --name "Bench CA" >/dev/null
"$BIN" enroll --entity-name "Commune de Plouzané" --siren 212901896 --host srv-bench --dir "$work/etc" >/dev/null
"$BIN" pki issue "$work/etc/agent.csr" --dir "$work/pki" --out "$work/etc/agent.crt" >/dev/null
key="$work/etc/agent.key" cert="$work/etc/agent.crt" ca="$work/pki/ca.pem" crl="$work/pki/crl.pem"
report="$work/r.json"

inproc=$($pin "$BIN" benchmark-signing --key "$key" --cert "$cert" --ca "$ca" --crl "$crl" --out "$report" --seconds "$SECONDS_PER")
value() { echo "$inproc" | awk -v k="$1" '$1 == k { print $2 }'; }
bytes=$(value report_bytes)

# Operations per second of a command run $RUNS times, one process each, counted in the CPU time
# (user + system) of those processes, so other load on a shared machine does not count against them.
per_process() {
    local cpu
    cpu=$( { for _ in $(seq "$RUNS"); do "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; done; times; } | tail -1)
    awk -v n="$RUNS" -v t="$cpu" 'BEGIN {
        split(t, parts, " "); total = 0
        for (i = 1; i <= 2; i++) { v = parts[i]; m = v; sub(/m.*/, "", m); s = v; sub(/^[0-9]+m/, "", s); sub(/s$/, "", s); total += m * 60 + s }
        printf "%.0f", n / total }'
}

ossl_sign=$(per_process $pin openssl cms -sign -binary -outform DER -in "$report" -signer "$cert" -inkey "$key" -out "$work/o.p7s")
ossl_verify=$(per_process $pin openssl cms -verify -binary -inform DER -in "$report.p7s" -content "$report" -CAfile "$ca" -purpose any -out /dev/null)
cli_verify=$(per_process $pin "$BIN" verify "$report" --ca "$ca" --crl "$crl")

batch=()
for _ in $(seq 200); do batch+=("$report"); done
RUNS_SAVED=$RUNS
RUNS=1
batch_rate=$(per_process $pin "$BIN" verify "${batch[@]}" --ca "$ca" --crl "$crl")
RUNS=$RUNS_SAVED
cli_batch=$(awk -v r="$batch_rate" 'BEGIN { printf "%.0f", r * 200 }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }
cat <<TABLE
Report: $bytes bytes. One core ($(nproc) online; pinned with taskset -c 0); rates in CPU time. $(openssl version). Load average $(cut -d' ' -f1 /proc/loadavg). $(date -u +%Y-%m-%dT%H:%MZ).

| operation | cyberctl | openssl cms | ratio |
|---|---:|---:|---:|
| sign, in-process (library) | $(value sign_per_second)/s | — | — |
| verify, in-process (library: CMS + chain + CRL + JSON + schema + SIREN) | $(value verify_per_second)/s | — | — |
| of which JSON parse + schema validation alone | $(value json_schema_per_second)/s | — | — |
| sign, one process per report | — | ${ossl_sign}/s | — |
| verify, one process per report | ${cli_verify}/s | ${ossl_verify}/s | $(ratio "$cli_verify" "$ossl_verify") |
| verify, in-process vs one openssl process per report | $(value verify_per_second)/s | ${ossl_verify}/s | $(ratio "$(value verify_per_second)" "$ossl_verify") |
| verify, one cyberctl process for 200 reports | ${cli_batch}/s | ${ossl_verify}/s | $(ratio "$cli_batch" "$ossl_verify") |
TABLE
