#!/usr/bin/env bash
# Fails when scripts/cyberctl.order has gone stale for a release build: when fewer than MIN_PERCENT (default 90) of
# the function names it lists are defined in BINARY (an unstripped release `cyberctl-agent`, the executable the
# list is generated from by scripts/symbol-order.sh).
#
# Why: lld's --symbol-ordering-file (Package.swift, releaseLinking) silently ignores names it does not find
# (--no-warn-symbol-ordering), so renamed or removed functions would quietly undo the layout and cost the
# agent 2-4 MB of resident memory per run (docs/benchmarks.md, "The agent's executable") with every build still
# green. packaging/deb/build.sh runs this check before packaging (and so does CI, through DebianPackageTests);
# when it fails, run scripts/symbol-order.sh and commit the new list.
#
# Usage: scripts/check-symbol-order.sh BINARY [MIN_PERCENT]
# Prints "scripts/cyberctl.order: K of N names defined in BINARY (P%)". Exit 0 at or above MIN_PERCENT,
# 1 below, 2 on a usage error or when nm cannot read BINARY (a stripped binary has no symbols to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-}
minimum=${2:-90}
if [[ -z "$binary" || ! -f "$binary" ]]; then
    echo "usage: $0 BINARY [MIN_PERCENT]   (BINARY: an unstripped release cyberctl-agent)" >&2
    exit 2
fi
list=scripts/cyberctl.order
listed=$(grep -c . "$list")
if ! defined=$(nm --defined-only "$binary" 2>/dev/null | awk '$2 ~ /^[tTwW]$/ { print $3 }' | sort -u); then
    echo "$0: nm cannot read the symbols of $binary" >&2
    exit 2
fi
if [[ -z "$defined" ]]; then
    echo "$0: $binary defines no function symbols (stripped?): nothing to compare $list with" >&2
    exit 2
fi
found=$(comm -12 <(sort -u "$list") <(printf '%s\n' "$defined") | wc -l)
percent=$((found * 100 / listed))
echo "$list: $found of $listed names defined in $binary ($percent%)"
if ((percent < minimum)); then
    echo "$0: $list is stale: only $percent% of its names are functions of $binary (at least $minimum% wanted);" \
        "regenerate it with scripts/symbol-order.sh and commit it" >&2
    exit 1
fi
