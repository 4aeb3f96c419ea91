#!/usr/bin/env bash
# Benchmark of `cyberctl scan --only certificates` (issue 2), side by side with the reference way of
# checking certificate files: one `openssl x509 -checkend` per file, as Lynis (CRYP-7902) does.
#
# Usage: scripts/bench-certs.sh [FILES]   (default 2000 files). Needs hyperfine and /usr/bin/time.
# Set CYBERCTL_BIN to measure an already built binary (skips the build).
# Prints hyperfine's table and peak memory; copy the figures into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000}
work=$(mktemp -d /tmp/cyberctl-bench-certs-XXXXXX)
trap 'rm -rf "$work"' EXIT

if [[ -n "${CYBERCTL_BIN:-}" ]]; then
    bin=$CYBERCTL_BIN
else
    swift build -c release --product cyberctl >/dev/null
    bin=$(swift build -c release --show-bin-path)/cyberctl
fi

# The fixture: $work/root (distinct certificates), $work/copies, $work/bench.yaml.
source scripts/cert-fixture.sh
make_cert_fixture "$work" "$count"

echo "== $count certificate files: cyberctl vs one openssl x509 per file"
# Each openssl run starts 2,000 processes: 3 runs are enough for a ratio.
hyperfine --warmup 1 --min-runs 3 --max-runs 10 --export-markdown "$work/fixture.md" \
    -n cyberctl "$bin scan --root $work/root --profile $work/bench.yaml --only certificates --out $work/r.json --format json > /dev/null || true" \
    -n "openssl x509 -checkend (per file)" "for f in $work/root/srv/certs/*.pem; do openssl x509 -noout -enddate -checkend 0 -in \$f > /dev/null || true; done"
cat "$work/fixture.md"
results=$(python3 -c "import json,sys; print(len(json.load(open('$work/r.json'))['results']))")
distinct=$(sha256sum "$work"/root/srv/certs/* | awk '{print $1}' | sort -u | wc -l)
echo "distinct certificate files: $distinct"
echo "results in the report: $results"
/usr/bin/time -v "$bin" scan --root "$work/root" --profile "$work/bench.yaml" --only certificates --out "$work/r.json" --format json 2> "$work/time.txt" > /dev/null || true
echo "peak memory (fixture): $(grep 'Maximum resident' "$work/time.txt" | awk '{print $6}') KB"
echo "CPU time (fixture): user $(grep 'User time' "$work/time.txt" | awk '{print $4}') s, system $(grep 'System time' "$work/time.txt" | awk '{print $4}') s, wall $(grep 'Elapsed' "$work/time.txt" | awk '{print $8}')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$work/empty/etc" && echo "ID=debian" > "$work/empty/etc/os-release"
/usr/bin/time -v "$bin" scan --root "$work/empty" --profile "$work/bench.yaml" --only certificates --out "$work/e.json" --format json 2> "$work/time-empty.txt" > /dev/null || true
echo "peak memory (same scan, no file: the process's floor): $(grep 'Maximum resident' "$work/time-empty.txt" | awk '{print $6}') KB"

echo "== $count files that are 50 copies each of 40 certificates (repeated certificates parsed once)"
hyperfine --warmup 1 --runs 10 -n "cyberctl (copies)" "$bin scan --root $work/copies --profile $work/bench.yaml --only certificates --out $work/c.json --format json > /dev/null || true"
/usr/bin/time -v "$bin" scan --root "$work/copies" --profile "$work/bench.yaml" --only certificates --out "$work/c.json" --format json 2> "$work/time-copies.txt" > /dev/null || true
echo "peak memory (copies): $(grep 'Maximum resident' "$work/time-copies.txt" | awk '{print $6}') KB"

echo "== this machine: cyberctl scan --only certificates (default profile, discovery)"
hyperfine --warmup 1 --runs 10 -n "scan this host" "$bin scan --only certificates --out $work/host.json --format json > /dev/null || true"
/usr/bin/time -v "$bin" scan --only certificates --out "$work/host.json" --format json 2> "$work/time-host.txt" > /dev/null || true
echo "peak memory (this host): $(grep 'Maximum resident' "$work/time-host.txt" | awk '{print $6}') KB"
