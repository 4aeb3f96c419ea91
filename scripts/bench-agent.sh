#!/usr/bin/env bash
# The agent's footprint (issue 19): `cyberctl-agent` side by side with the all-in-one `cyberctl`, same release
# build, same run. Size on disk (stripped) and what fills it, startup (`--version`), peak memory of a default
# scan of this host and of the 2,000-certificate fixture (scripts/cert-fixture.sh).
#
# Usage: scripts/bench-agent.sh [BUILD_DIR]   (default: builds `swift build -c release`, uses its bin path)
# Needs hyperfine, /usr/bin/time, binutils (strip, size, nm). Copy the figures into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/cyberctl-bench-agent-XXXXXX)
trap 'rm -rf "$work"' EXIT

if [[ -n "${1:-}" ]]; then
    build=$1
else
    swift build -c release --product cyberctl >/dev/null
    swift build -c release --product cyberctl-agent >/dev/null
    build=$(swift build -c release --show-bin-path)
fi
# Stripped copies in an installed layout: <prefix>/bin/NAME finds its profiles in <prefix>/share/cyberctl/profiles.
mkdir -p "$work/prefix/bin" "$work/prefix/share/cyberctl"
ln -s "$PWD/Profiles" "$work/prefix/share/cyberctl/profiles"
for name in cyberctl-agent cyberctl; do
    cp "$build/$name" "$work/prefix/bin/$name"
    strip "$work/prefix/bin/$name"
    ln -s "prefix/bin/$name" "$work/$name"
done

echo "== size on disk (bytes)"
for name in cyberctl-agent cyberctl; do
    printf '%-16s unstripped %11d  stripped %11d\n' "$name" "$(stat -c %s "$build/$name")" "$(stat -L -c %s "$work/$name")"
done
echo "== what fills cyberctl-agent (sections over 1 MB, then the largest symbols of the unstripped binary)"
size -A "$work/cyberctl-agent" | awk '$1 ~ /^\./ && $2 > 1000000 { printf "  %-22s %6.1f MB\n", $1, $2 / 1e6 }'
nm -S --size-sort "$build/cyberctl-agent" 2>/dev/null | tail -8 | while read -r _ hex _ symbol; do
    printf '  %6.1f MB  %s\n' "$(awk "BEGIN { print $((16#$hex)) / 1e6 }")" "$symbol"
done
echo "function layout list (scripts/cyberctl.order) against this build:"
scripts/check-symbol-order.sh "$build/cyberctl-agent" | sed 's/^/  /' || true
echo "shared libraries the agent needs:"
ldd "$work/cyberctl-agent" | awk '{print "  " $1}'

echo "== startup: --version"
hyperfine --warmup 3 --runs 30 -N -n cyberctl-agent "$work/cyberctl-agent --version" -n cyberctl "$work/cyberctl --version"

wrap=() # a command the measured one runs under (the private network namespace below), empty: none
peak() { # peak RSS in KiB of the command, 5 runs, min and max
    local out=() value
    for _ in 1 2 3 4 5; do
        "${wrap[@]}" /usr/bin/time -f %M -o "$work/rss" "$@" > /dev/null 2>&1 || true
        value=$(tail -1 "$work/rss"); out+=("$value")
    done
    printf '%s\n' "${out[@]}" | sort -n | awk 'NR==1{min=$1} {max=$1} END {printf "%d–%d KiB", min, max}'
}
scan_time() { # wall time in seconds of the command, 5 runs, min and max
    local out=() value
    for _ in 1 2 3 4 5; do
        "${wrap[@]}" /usr/bin/time -f %e -o "$work/wall" "$@" > /dev/null 2>&1 || true
        value=$(tail -1 "$work/wall"); out+=("$value")
    done
    printf '%s\n' "${out[@]}" | sort -n | awk 'NR==1{min=$1} {max=$1} END {printf "%s–%s s", min, max}'
}
host_scans() { # the default host scan, both binaries: peak memory, wall time, the TLS endpoints it probed
    for name in cyberctl-agent cyberctl; do
        echo "  $name: $(peak "$work/$name" scan --format json --out "$work/host-$name.json"), $(scan_time "$work/$name" scan --format json --out "$work/host-$name.json")"
    done
    echo "  TLS endpoints probed: $(python3 -c "import json; print(', '.join(sorted({r['target'] for r in json.load(open('$work/host-cyberctl-agent.json'))['results'] if r['check'] == 'tls.endpoint' and r['code'] != 'tls.discovery'})) or 'none')")"
}
# A commune's server usually serves TLS (nginx, a mail server): the figure that matters has one listening. The
# scan probes every listening port (all_ports), so on a shared machine other sessions' services would be probed
# too: as root, each scan runs in a private network namespace (`unshare -n`: loopback only, no other listener),
# alone or beside a loopback `openssl s_server -www` on 127.0.0.1:443 (a usual TLS port the default profile
# probes; throwaway self-signed P-256 certificate), started before the scan and stopped after it. Without root:
# on the host as it is, the TLS service on 127.0.0.1:8443.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=bench.cyberctl.test" \
    -keyout "$work/tls.key" -out "$work/tls.pem" >/dev/null 2>&1
cat > "$work/with-tls.sh" <<EOF_TLS
#!/usr/bin/env bash
# Runs "\$@" beside an openssl s_server on 127.0.0.1:\$TLS_PORT; in a fresh namespace, brings loopback up first.
[[ -n "\${IN_NETNS:-}" ]] && ip link set lo up
if [[ "\$TLS_PORT" != none ]]; then
    openssl s_server -quiet -accept "127.0.0.1:\$TLS_PORT" -cert "$work/tls.pem" -key "$work/tls.key" -www </dev/null >/dev/null 2>&1 &
    server=\$!
    for _ in \$(seq 50); do ss -Hltn "sport = :\$TLS_PORT" | grep -q . && break; sleep 0.1; done
fi
"\$@"; status=\$?
[[ -n "\${server:-}" ]] && { kill "\$server"; wait "\$server" 2>/dev/null; }
exit \$status
EOF_TLS
chmod +x "$work/with-tls.sh"
if [[ $(id -u) == 0 ]] && unshare -n true 2>/dev/null; then
    echo "== peak memory and wall time: default scan of this host, private network namespace, no TLS service"
    wrap=(env IN_NETNS=1 TLS_PORT=none unshare -n "$work/with-tls.sh"); host_scans
    echo "== peak memory and wall time: default scan of this host, private network namespace, TLS service on 127.0.0.1:443 (openssl s_server -www)"
    wrap=(env IN_NETNS=1 TLS_PORT=443 unshare -n "$work/with-tls.sh"); host_scans
    wrap=()
    echo "== peak memory and wall time: default scan of this host as it is (other sessions' listeners included)"
    host_scans
else
    echo "== peak memory and wall time: default scan of this host as it is (not root: no private network namespace)"
    host_scans
    echo "== the same with a TLS service on 127.0.0.1:8443 (openssl s_server -www)"
    wrap=(env TLS_PORT=8443 "$work/with-tls.sh"); host_scans
    wrap=()
fi
echo "== peak memory: 2,000 certificate files (--root fixture, --only certificates)"
source scripts/cert-fixture.sh
make_cert_fixture "$work/fixture" 2000
for name in cyberctl-agent cyberctl; do
    echo "  $name: $(peak "$work/$name" scan --root "$work/fixture/root" --profile "$work/fixture/bench.yaml" --only certificates --format json --out "$work/certs-$name.json")"
done
echo "results in each report: agent $(python3 -c "import json; print(len(json.load(open('$work/certs-cyberctl-agent.json'))['results']))"), full $(python3 -c "import json; print(len(json.load(open('$work/certs-cyberctl.json'))['results']))")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
