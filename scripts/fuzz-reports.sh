#!/usr/bin/env bash
# More cases of the signed-hostile-report fuzz target (Tests/ReportFuzzTests) than `swift test` runs:
# valid reports mutated structurally (numbers at and beyond every bound, NaN/Infinity spellings, deep
# nesting, huge strings, control and bidirectional characters, dates at the edges, duplicate and unknown
# keys…), signed again with a test agent key, then put through verify, the store and every view, in-process
# and through the built binary.
#
#   scripts/fuzz-reports.sh [CASES [SEED]]     CASES default 2000; SEED default: a new random seed, printed
#
# A failure names its case and seed; rerun with the same SEED (and CASES at least the case number) to
# reproduce it, with CYBERCTL_FUZZ_VERBOSE=1 to print every case before it runs (a crash then shows its case).
set -euo pipefail
cd "$(dirname "$0")/.."

cases=${1:-2000}
seed=${2:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
case "$cases$seed" in *[!0-9]*) echo "usage: $0 [CASES [SEED]] (whole numbers)" >&2; exit 64 ;; esac
echo "fuzz-reports: $cases cases, seed $seed" >&2
swift build --build-tests >&2
CYBERCTL_FUZZ_CASES=$cases CYBERCTL_FUZZ_SEED=$seed swift test --skip-build --filter ReportFuzzTests
