#!/usr/bin/env bash
# Regenerates scripts/cyberctl.order, the order in which lld lays out the functions of a release build
# (Package.swift: --symbol-ordering-file). Functions that the agent's usual runs execute are put side by
# side at the start of .text, so a run maps ~2 MB of code instead of touching 200 scattered 64 KB windows
# of a 30 MB .text (the kernel maps file pages 64 KB at a time: fault-around). See docs/benchmarks.md,
# "Certificate files". The list only orders code: a stale entry is ignored, a missing one falls back to the
# default layout, so regenerate it when the hot paths change, not for correctness.
#
# The agent's executable is profiled (the runs whose memory matters: issue 19); `cyberctl` holds the same functions
# for the same commands, so the list serves both links.
#
# Usage: scripts/symbol-order.sh   (needs valgrind, openssl, binutils; builds the release binary first)
# Set CYBERCTL_BIN to profile an already built release cyberctl-agent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n "${CYBERCTL_BIN:-}" ]]; then
    bin=$CYBERCTL_BIN
else
    swift build -c release --product cyberctl-agent >/dev/null
    bin=$(swift build -c release --show-bin-path)/cyberctl-agent
fi
work=$(mktemp -d /tmp/cyberctl-order-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
# Valgrind cannot read lld's compressed DWARF; function names come from the symbol table.
strip -g -o "$work/cyberctl" "$bin"

# Workloads: the agent's runs (every check of the default profile on this host, a tree of certificate
# files, a TLS endpoint), plus start-up, help and the RSSI's verify.
mkdir -p "$work/root/srv/certs" "$work/root/etc"
echo "ID=debian" > "$work/root/etc/os-release"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/key.pem" \
    -out "$work/cert.pem" -subj "/CN=localhost" -days 30 2>/dev/null
for i in $(seq 1 50); do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -out "$work/root/srv/certs/$i.pem" \
        -subj "/CN=srv$i.mairie.test" -days $((i * 10)) 2>/dev/null
done
cat > "$work/certs.yaml" <<YAML
name: order
checks:
  cert.files:
    discover: false
    paths: [/srv/certs/*.pem]
YAML
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$work/cert.pem" -key "$work/key.pem" -www >/dev/null 2>&1 &
sleep 1

profile() {
    local name=$1; shift
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.$name" "$work/cyberctl" "$@" \
        >/dev/null 2>"$work/valgrind.$name" || true
}
profile version --version
profile help scan --help
profile host scan --out "$work/host.json" --format json
profile hosttable scan --out "$work/host2.json"
profile certs scan --root "$work/root" --profile "$work/certs.yaml" --only certificates --out "$work/c.json" --format json
profile certtable scan --root "$work/root" --profile "$work/certs.yaml" --only certificates --out "$work/c2.json"
profile cert cert "$work/cert.pem"
profile tls tls "127.0.0.1:$port" --format json

nm --defined-only "$work/cyberctl" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u > "$work/text-symbols"
cat "$work"/cg.* | sed -n 's/^c\{0,1\}fn=([0-9]*) \(.*\)$/\1/p' | sort -u > "$work/executed"
comm -12 "$work/executed" "$work/text-symbols" > scripts/cyberctl.order
echo "scripts/cyberctl.order: $(wc -l < scripts/cyberctl.order) functions"
