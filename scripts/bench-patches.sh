#!/usr/bin/env bash
# Benchmark of `cyberctl scan --only patches` (issue 5) on this machine, side by side with
# `apt list --upgradable`, which computes the same pending list from the same files (dpkg status,
# apt lists, pins). apt runs twice: as configured here (Debian container images set
# Dir::Cache::pkgcache "", so apt parses every list on each run), and with a binary cache in a
# scratch folder, as a stock server keeps /var/cache/apt/pkgcache.bin.
#
# Usage: scripts/bench-patches.sh. Needs hyperfine and /usr/bin/time. Prints hyperfine's table, peak
# memory, and whether both tools found the same pending updates; copy the figures into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/cyberctl-bench-patches-XXXXXX)
trap 'rm -rf "$work"' EXIT

swift build -c release --product cyberctl >/dev/null
bin=$(swift build -c release --show-bin-path)/cyberctl
cache=(-o "Dir::Cache::pkgcache=$work/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$work/srcpkgcache.bin")
apt list --upgradable "${cache[@]}" > /dev/null 2>&1  # builds the cache once

installed=$(grep -c '^Package: ' /var/lib/dpkg/status)
stanzas=0
for list in /var/lib/apt/lists/*_Packages*; do
    [ -e "$list" ] || continue
    case "$list" in
        *.lz4) n=$(lz4 -dc "$list" | grep -c '^Package: ') ;;
        *) n=$(grep -c '^Package: ' "$list") ;;
    esac
    stanzas=$((stanzas + n))
done
echo "== this machine: $installed packages in dpkg's status, $stanzas stanzas in the apt lists"

hyperfine --warmup 2 --runs 20 --export-markdown "$work/host.md" \
    -n "cyberctl scan --only patches" "$bin scan --only patches --out $work/r.json --format json > /dev/null || true" \
    -n "apt list --upgradable (no cache, as configured here)" "apt list --upgradable > /dev/null 2>&1" \
    -n "apt list --upgradable (with pkgcache.bin)" "apt list --upgradable ${cache[*]} > /dev/null 2>&1"
cat "$work/host.md"

peak() { grep 'Maximum resident' "$1" | awk '{print $6}'; }
/usr/bin/time -v "$bin" scan --only patches --out "$work/r.json" --format json 2> "$work/time-cyberctl.txt" > /dev/null || true
/usr/bin/time -v apt list --upgradable 2> "$work/time-apt.txt" > "$work/apt.txt"
/usr/bin/time -v apt list --upgradable "${cache[@]}" 2> "$work/time-apt-cache.txt" > /dev/null
echo "peak memory: cyberctl $(peak "$work/time-cyberctl.txt") KB, apt $(peak "$work/time-apt.txt") KB, apt with cache $(peak "$work/time-apt-cache.txt") KB"

# Same answer? name:arch candidate, from both.
sed -n 's#^\([^/]*\)/[^ ]* \([^ ]*\) \([^ ]*\) \[upgradable.*#\1:\3 \2#p' "$work/apt.txt" | sort > "$work/apt-pending.txt"
python3 - "$work/r.json" > "$work/cyberctl-pending.txt" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    if result["code"] == "patch.pending-updates":
        for u in result["evidence"].get("updates", []):
            print(f'{u["package"]}:{u["architecture"]} {u["candidate"]}')
PY
sort -o "$work/cyberctl-pending.txt" "$work/cyberctl-pending.txt"
if cmp -s "$work/apt-pending.txt" "$work/cyberctl-pending.txt"; then
    echo "same pending updates: $(wc -l < "$work/apt-pending.txt")"
else
    echo "DIFFERENT pending updates:"; diff "$work/apt-pending.txt" "$work/cyberctl-pending.txt" || true
fi
