#!/usr/bin/env bash
# Benchmark of the backup check (issue 6): a backup folder of 100,000 files, whole
# `cyberctl scan --root IMAGE --only backups` (default profile, discovery on), against the
# reference tools that walk the same folder: `find DIR -newermt … | wc -l` and `du -s DIR`,
# side by side in the same run (hyperfine), plus peak memory (/usr/bin/time -v).
#
# Targets: whole scan under 2 s and under 60 MB.
#
# Usage: scripts/bench-backups.sh [runs]   (CYBERCTL_BINARY=… to use another build)
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-10}"
files=100000

for tool in hyperfine /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "bench-backups: $tool is required" >&2; exit 69; }
done

binary="${CYBERCTL_BINARY:-}"
if [[ -z "$binary" ]]; then
    swift build -c release --product cyberctl >&2
    binary="$(swift build -c release --show-bin-path)/cyberctl"
fi

work="$(mktemp -d /tmp/cyberctl-bench-backups.XXXXXX)"
trap 'rm -rf "$work"' EXIT
image="$work/image"
folder="$image/srv/backup/mairie"
mkdir -p "$folder" "$image/etc"
echo "srv-bench" > "$image/etc/hostname"

# 100,000 dumps of 1 KiB, one every 5 minutes going back about a year: names and times like a
# real rotation, the newest 5 minutes old.
python3 - "$folder" "$files" <<'EOF'
import os, sys, time
folder, count = sys.argv[1], int(sys.argv[2])
now = time.time()
block = b"x" * 1024
for index in range(count):
    stamp = now - 300 * (index + 1)
    name = time.strftime("etat-civil-%Y%m%d-%H%M%S.sql.gz", time.gmtime(stamp))
    path = os.path.join(folder, name)
    with open(path, "wb") as handle:
        handle.write(block)
    os.utime(path, (stamp, stamp))
EOF
echo "bench-backups: $(find "$folder" -type f | wc -l) files in $folder" >&2

out="$work/report.json"
scan=("$binary" scan --root "$image" --only backups --format json --out "$out")
# The scan exits 1 when it finds a high finding (here: no offline copy declared is only medium,
# but the exit code is not what is measured); hyperfine must not stop on it.
"${scan[@]}" > /dev/null 2>&1 || true
python3 - "$out" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
for result in report["results"]:
    if result["code"] == "backup.present":
        print(f"bench-backups: {result['target']}: {result['status']}, {result['evidence'].get('count')} copies", file=sys.stderr)
EOF

results="$work/hyperfine.json"
hyperfine --style basic --warmup 2 --runs "$runs" --ignore-failure --export-json "$results" \
    -n "cyberctl scan --only backups" "${scan[*]} > /dev/null 2>&1" \
    -n "find -newermt | wc -l" "find '$folder' -type f -newermt '26 hours ago' | wc -l" \
    -n "du -s" "du -s '$folder'" >&2

peak() {  # peak resident memory in KB of a command
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }'
}
scan_kb="$(peak "${scan[@]}")"
find_kb="$(peak find "$folder" -type f -newermt '26 hours ago')"
du_kb="$(peak du -s "$folder")"

echo
echo "### Run of $(date -u +%Y-%m-%dT%H:%MZ), $files files, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$results" "$scan_kb" "$find_kb" "$du_kb" <<'EOF'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
memory = [int(value) for value in sys.argv[2:5]]
scan = runs[0]["mean"]
print("| command | mean | σ | min | max | ratio to cyberctl | peak memory |")
print("|:---|---:|---:|---:|---:|---:|---:|")
for run, kb in zip(runs, memory):
    name = run["command"].replace("|", "\\|")
    print(f"| {name} | {run['mean']*1000:.0f} ms | {run['stddev']*1000:.0f} ms | {run['min']*1000:.0f} ms | "
          f"{run['max']*1000:.0f} ms | {run['mean']/scan:.2f} | {kb/1024:.1f} MB |")
ok_time = scan < 2.0
ok_memory = memory[0] < 60 * 1024
print()
print(f"Targets (whole scan under 2 s, under 60 MB): {'PASS' if ok_time and ok_memory else 'FAIL'} — "
      f"scan mean {scan*1000:.0f} ms, peak {memory[0]/1024:.1f} MB")
sys.exit(0 if ok_time and ok_memory else 1)
EOF
