#!/usr/bin/env bash
# Benchmark of `cyberctl scan --only patches` (issue 5) on this machine, side by side with
# `apt list --upgradable`, which computes the same pending list from the same files (dpkg status,
# apt lists, pins). apt runs twice: as configured here (Debian container images set
# Dir::Cache::pkgcache "", so apt parses every list on each run), and with a binary cache in a
# scratch folder, as a stock server keeps /var/cache/apt/pkgcache.bin.
#
# Then the same lists in every format apt reads (plain, lz4, zstd, gzip, xz, bzip2), each in a tree of
# its own (this machine's dpkg status, sources and Release files), cyberctl `scan --root TREE` against
# `apt -o Dir=TREE list --upgradable` on the same tree (apt without a binary cache there: it parses the
# lists as cyberctl does).
#
# Usage: scripts/bench-patches.sh [RUNS] (default 20; PARTS="host formats" by default). Needs hyperfine,
# /usr/bin/time, lz4, zstd, gzip, xz-utils, bzip2. Prints hyperfine's tables, peak memory, and whether
# both tools found the same pending updates; copy the figures into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/cyberctl-bench-patches-XXXXXX)
trap 'rm -rf "$work"' EXIT

runs=${1:-20}
parts=${PARTS:-host formats}
swift build -c release --product cyberctl >/dev/null
bin=$(swift build -c release --show-bin-path)/cyberctl
cache=(-o "Dir::Cache::pkgcache=$work/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$work/srcpkgcache.bin")
apt list --upgradable "${cache[@]}" > /dev/null 2>&1  # builds the cache once

peak() { grep 'Maximum resident' "$1" | awk '{print $6}'; }
# The command that writes each list format apt reads, and the one that reads it back.
decompress() {
    case "$1" in
        *.lz4) lz4 -dc "$1" ;; *.zst) zstd -q -dc "$1" ;; *.gz) gzip -dc "$1" ;; *.xz) xz -dc "$1" ;;
        *.bz2) bzip2 -dc "$1" ;; *.lzma) xz --format=lzma -dc "$1" ;; *) cat "$1" ;;
    esac
}
installed=$(grep -c '^Package: ' /var/lib/dpkg/status)
stanzas=0
for list in /var/lib/apt/lists/*_Packages*; do
    [ -e "$list" ] || continue
    n=$(decompress "$list" | grep -c '^Package: ')
    stanzas=$((stanzas + n))
done
echo "== this machine: $installed packages in dpkg's status, $stanzas stanzas in the apt lists"

if [[ " $parts " == *" host "* ]]; then
hyperfine --warmup 2 --runs "$runs" --export-markdown "$work/host.md" \
    -n "cyberctl scan --only patches" "$bin scan --only patches --out $work/r.json --format json > /dev/null || true" \
    -n "apt list --upgradable (no cache, as configured here)" "apt list --upgradable > /dev/null 2>&1" \
    -n "apt list --upgradable (with pkgcache.bin)" "apt list --upgradable ${cache[*]} > /dev/null 2>&1"
cat "$work/host.md"

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
fi

# Same pending updates? name:arch candidate, from apt's output and cyberctl's report.
same() {  # apt-output report label
    sed -n 's#^\([^/]*\)/[^ ]* \([^ ]*\) \([^ ]*\) \[upgradable.*#\1:\3 \2#p' "$1" | sort > "$work/a.txt"
    python3 - "$2" > "$work/c.txt" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    if result["code"] == "patch.pending-updates":
        for u in result["evidence"].get("updates", []):
            print(f'{u["package"]}:{u["architecture"]} {u["candidate"]}')
PY
    sort -o "$work/c.txt" "$work/c.txt"
    if cmp -s "$work/a.txt" "$work/c.txt"; then echo "$3: same pending updates: $(wc -l < "$work/a.txt")"; else echo "$3: DIFFERENT pending updates"; diff "$work/a.txt" "$work/c.txt" || true; fi
}

if [[ " $parts " == *" formats "* ]]; then
    for suffix in "" .lz4 .zst .gz .xz .bz2; do
        tree="$work/tree${suffix:-.plain}"
        mkdir -p "$tree/var/lib/dpkg" "$tree/var/lib/apt/lists/partial" "$tree/etc/apt" "$tree/var/cache/apt/archives/partial"
        cp /var/lib/dpkg/status "$tree/var/lib/dpkg/status"
        cp /etc/os-release "$tree/etc/os-release"
        cp -r /etc/apt/sources.list* /etc/apt/preferences* "$tree/etc/apt/" 2>/dev/null || true
        cp /var/lib/apt/lists/*Release "$tree/var/lib/apt/lists/"
        for list in /var/lib/apt/lists/*_Packages*; do
            base=$(basename "$list"); base=${base%.lz4}; base=${base%.zst}; base=${base%.gz}; base=${base%.xz}; base=${base%.bz2}
            case "$suffix" in
                "") decompress "$list" > "$tree/var/lib/apt/lists/$base" ;;
                .lz4) decompress "$list" | lz4 -q -1 > "$tree/var/lib/apt/lists/$base.lz4" ;;
                .zst) decompress "$list" | zstd -q -19 > "$tree/var/lib/apt/lists/$base.zst" ;;
                .gz) decompress "$list" | gzip -6n > "$tree/var/lib/apt/lists/$base.gz" ;;
                .xz) decompress "$list" | xz -6 > "$tree/var/lib/apt/lists/$base.xz" ;;
                .bz2) decompress "$list" | bzip2 -6 > "$tree/var/lib/apt/lists/$base.bz2" ;;
            esac
        done
        label=${suffix:-plain}
        size=$(du -cb "$tree"/var/lib/apt/lists/*_Packages* | tail -1 | cut -f1)
        echo "== lists as $label: $((size / 1024)) KB on disk"
        aptargs=(-o "Dir=$tree/" -o "Dir::State::status=$tree/var/lib/dpkg/status" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
        hyperfine --warmup 1 --runs "$runs" --export-markdown "$work/format-$label.md" \
            -n "cyberctl scan --root ($label)" "$bin scan --root $tree --only patches --out $work/f.json --format json > /dev/null || true" \
            -n "apt list --upgradable ($label)" "apt ${aptargs[*]} list --upgradable > /dev/null 2>&1"
        cat "$work/format-$label.md"
        /usr/bin/time -v "$bin" scan --root "$tree" --only patches --out "$work/f.json" --format json 2> "$work/tc.txt" > /dev/null || true
        /usr/bin/time -v apt "${aptargs[@]}" list --upgradable 2> "$work/ta.txt" > "$work/fa.txt"
        echo "$label peak memory: cyberctl $(peak "$work/tc.txt") KB, apt $(peak "$work/ta.txt") KB; user CPU: cyberctl $(grep 'User time' "$work/tc.txt" | awk '{print $4}') s, apt $(grep 'User time' "$work/ta.txt" | awk '{print $4}') s"
        same "$work/fa.txt" "$work/f.json" "$label"
        rm -rf "$tree"
    done
fi
