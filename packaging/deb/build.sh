#!/usr/bin/env bash
# Builds the Debian packages cyberctl-agent and cyberctl from already built executables.
#
#   packaging/deb/build.sh BUILD_DIR OUT_DIR
#
# BUILD_DIR holds `cyberctl-agent` and `cyberctl` (normally `.build/release` after `swift build -c release`; a
# debug build works too, only bigger and slower). OUT_DIR receives cyberctl-agent_<version>_<arch>.deb and
# cyberctl_<version>_<arch>.deb. Version: `cyberctl-agent --version` plus the Debian revision
# ($CYBERCTL_DEB_REVISION, default 1); architecture: `dpkg --print-architecture`.
#
# debhelper (compat 13) does the Debian part from packaging/deb/debian, with the executables, data, units,
# man pages and completions staged beside it: its dh_installsystemd, dh_installsysusers and
# dh_installtmpfiles write the maintainer scripts Debian maintains (units registered but not enabled,
# the admin's choice kept across upgrades, cleaned at purge), dh_shlibdeps computes Depends from the
# executables' real shared libraries, dh_strip strips, dh_installdeb marks /etc files as conffiles.
#
# Man pages come from argument-parser's `generate-manual` tool (the one its GenerateManual plugin runs),
# built once from the resolved swift-argument-parser checkout into $CYBERCTL_DEB_CACHE (default:
# `.build/deb-cache`); $GENERATE_MANUAL names an already built one. Completions come from
# `--generate-completion-script bash|zsh|fish` of each executable.
#
# Needs: debhelper, dpkg-dev, and a Swift toolchain when generate-manual is not built yet.
# Environment: CHECKOUTS (the SwiftPM checkouts folder, for the copyright file and generate-manual; default:
# found from BUILD_DIR), CYBERCTL_DEB_MAINTAINER, CYBERCTL_DEB_REVISION, SOURCE_DATE_EPOCH.
set -euo pipefail
trap 'echo "$0: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR OUT_DIR" >&2
    exit 64
fi
repo=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$(cd "$1" && pwd -P)
mkdir -p "$2"
out_dir=$(cd "$2" && pwd -P)
for tool in cyberctl-agent cyberctl; do
    if [ ! -x "$build_dir/$tool" ]; then
        echo "$0: $build_dir/$tool not found: run swift build -c release first" >&2
        exit 66
    fi
done
# A package must not need the Swift toolchain: release builds link its runtime and Foundation statically
# (Package.swift, releaseLinking); a debug build needs libswiftCore.so and friends, which Debian does not ship.
for tool in cyberctl-agent cyberctl; do
    dynamic=$(readelf -d "$build_dir/$tool")
    if grep -q 'NEEDED.*libswiftCore' <<<"$dynamic"; then
        echo "$0: $build_dir/$tool needs the Swift runtime's shared libraries (a debug build?): use swift build -c release" >&2
        exit 65
    fi
done
# The release link lays out the agent's functions in the order of scripts/cyberctl.order, and lld ignores the
# names it lists that no longer exist: a package is not built from a build the list no longer fits (the check
# says how to regenerate it; docs/benchmarks.md, "The agent's executable", says what a stale list costs).
"$repo/scripts/check-symbol-order.sh" "$build_dir/cyberctl-agent" >&2 || {
    echo "$0: refusing to package a release build laid out by a stale scripts/cyberctl.order" >&2
    exit 65
}
for command in dh dpkg-shlibdeps dpkg-deb; do
    command -v "$command" >/dev/null || { echo "$0: $command missing (apt install debhelper dpkg-dev)" >&2; exit 69; }
done

# SwiftPM's scratch folder (.build) is the parent of <triple>/<config>: its checkouts are the resolved
# dependencies, and deb-cache in it keeps what is built once (generate-manual; the tests' Debian roots).
scratch=$(cd "$build_dir/../.." && pwd)
checkouts=${CHECKOUTS:-$scratch/checkouts}
[ -d "$checkouts" ] || { echo "$0: no SwiftPM checkouts at $checkouts (set CHECKOUTS)" >&2; exit 66; }
cache=${CYBERCTL_DEB_CACHE:-$scratch/deb-cache}
mkdir -p "$cache"

upstream=$("$build_dir/cyberctl-agent" --version)
case "$upstream" in
    [0-9]*.[0-9]*) ;;
    *) echo "$0: unexpected version from cyberctl-agent --version: '$upstream'" >&2; exit 65 ;;
esac
version="$upstream-${CYBERCTL_DEB_REVISION:-1}"
arch=$(dpkg --print-architecture)
maintainer=${CYBERCTL_DEB_MAINTAINER:-cyberctl maintainers <cyberctl@cyberctl.invalid>}
# One date for the changelog and the man pages: the last commit's, so that a rebuild gives the same files.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}

work=$(mktemp -d "${TMPDIR:-/tmp}/cyberctl-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src="$work/cyberctl-$upstream"
staged="$src/staged"
mkdir -p "$src" "$staged/usr/bin" "$staged/usr/share/cyberctl" "$staged/etc/cyberctl" "$staged/systemd"
cp -a "$repo/packaging/deb/debian" "$src/debian"
sed -i "s|^Maintainer: .*|Maintainer: $maintainer|" "$src/debian/control"

# Executables (dh_strip strips the copies), data, configuration example, units, system user.
cp "$build_dir/cyberctl-agent" "$build_dir/cyberctl" "$staged/usr/bin/"
cp -a "$repo/Profiles" "$staged/usr/share/cyberctl/profiles"
install -m 0644 "$repo/packaging/deb/agent.yaml" "$staged/etc/cyberctl/agent.yaml"
cp "$repo"/packaging/systemd/cyberctl-*.service "$repo"/packaging/systemd/cyberctl-*.timer "$staged/systemd/"
cp "$repo/packaging/sysusers.d/cyberctl.conf" "$src/debian/cyberctl-agent.cyberctl.sysusers"

# Completions, from each executable's argument parser.
for pair in agent:cyberctl-agent rssi:cyberctl; do
    part=${pair%%:*} tool=${pair#*:}
    mkdir -p "$staged/$part/bash" "$staged/$part/zsh" "$staged/$part/fish"
    # Sourced by bash-completion, never run: no #! line (lintian bash-completion-with-hashbang).
    "$build_dir/$tool" --generate-completion-script bash | sed "1{/^#!/d}" >"$staged/$part/bash/$tool"
    "$build_dir/$tool" --generate-completion-script zsh >"$staged/$part/zsh/_$tool"
    "$build_dir/$tool" --generate-completion-script fish >"$staged/$part/fish/$tool.fish"
done

# Man pages, from each executable's `--experimental-dump-help` through argument-parser's generate-manual.
generate_manual=${GENERATE_MANUAL:-}
if [ -z "$generate_manual" ]; then
    parser="$checkouts/swift-argument-parser"
    [ -f "$parser/Package.swift" ] || { echo "$0: $parser missing (set GENERATE_MANUAL or CHECKOUTS)" >&2; exit 66; }
    generate_manual="$cache/generate-manual/debug/generate-manual"
    # Built once; SwiftPM rebuilds nothing when the checkout did not change. The checkout has no dependencies:
    # this needs no network.
    if ! swift build --package-path "$parser" --scratch-path "$cache/generate-manual" --product generate-manual \
        >"$cache/generate-manual.log" 2>&1; then
        cat "$cache/generate-manual.log" >&2
        echo "$0: building argument-parser's generate-manual failed" >&2
        exit 70
    fi
fi
# generate-manual keeps ASCII only (argument-parser 1.8: "for character in self where character.isASCII"), which
# would turn "contrôles" into "contrles". So it reads the help through a wrapper that writes every non-ASCII
# character as the roff escape \[uXXXX] (in JSON: "\\[uXXXX]"); generate-manual then escapes that backslash
# as \e, undone below. Blank lines (between the French and English paragraphs) become .Pp, as mdoc wants.
manual_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
cat >"$work/ascii-help" <<'EOF'
#!/bin/sh
"$CYBERCTL_HELP_TOOL" "$@" | perl -CS -pe 's/([^\x00-\x7F])/sprintf("\\\\[u%04X]", ord($1))/ge'
EOF
chmod +x "$work/ascii-help"
for pair in agent:cyberctl-agent rssi:cyberctl; do
    part=${pair%%:*} tool=${pair#*:}
    mkdir -p "$staged/man/$part"
    CYBERCTL_HELP_TOOL="$build_dir/$tool" "$generate_manual" "$work/ascii-help" --date "$manual_date" \
        --output-directory "$staged/man/$part"
    page="$staged/man/$part/$tool.1"
    [ -s "$page" ] || { echo "$0: generate-manual wrote no $tool.1" >&2; exit 70; }
    sed -i -e 's/\\e\[u\([0-9A-F]\{4,6\}\)\]/\\[u\1]/g' -e 's/^$/.Pp/' "$page"
done

# Changelog (Debian format; dh_installchangelogs installs it gzip -9n as changelog.Debian.gz).
{
    echo "cyberctl ($version) unstable; urgency=medium"
    echo
    echo "  * Package of cyberctl $upstream, built from commit $(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)."
    echo
    echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} >"$src/debian/changelog"

# Copyright (DEP-5): cyberctl itself, the Swift toolchain parts linked statically (runtime, Foundation, ICU
# data), and every package SwiftPM resolved (linked into cyberctl; the agent links a subset), its licence
# read from the checkout's own licence file.
"$repo/packaging/deb/copyright.sh" "$checkouts" >"$src/debian/copyright"

# libcurl is opened with dlopen("libcurl.so.4") (Sources/CCurlShims/shims.c), invisible to dpkg-shlibdeps:
# its dependency is read the way dpkg-shlibdeps would, from the shlibs file of the package shipping it.
soname=$(grep -o 'dlopen("libcurl\.so\.[0-9]*"' "$repo/Sources/CCurlShims/shims.c" | head -1 | sed 's/dlopen("//; s/"$//')
[ -n "$soname" ] || { echo "$0: no dlopen(\"libcurl.so.N\") in Sources/CCurlShims/shims.c" >&2; exit 70; }
# The cache listed once into a variable: awk stopping at its first match would otherwise end ldconfig with SIGPIPE,
# which pipefail turns into a failure of the whole build (seen once in CI).
cache=$(ldconfig -p)
library=$(awk -v name="$soname" '$1 == name && /x86-64|AArch64|64bit/ { print $NF; exit }' <<<"$cache")
[ -n "$library" ] || library=$(awk -v name="$soname" '$1 == name { print $NF; exit }' <<<"$cache")
[ -n "$library" ] || { echo "$0: $soname not installed here (apt install libcurl4)" >&2; exit 69; }
owner=$(dpkg -S "$(readlink -f "$library")" | head -1 | cut -d: -f1)
shlibs=
for candidate in /var/lib/dpkg/info/"$owner".shlibs /var/lib/dpkg/info/"$owner":"$arch".shlibs; do
    [ -f "$candidate" ] && shlibs=$candidate
done
[ -n "$shlibs" ] || { echo "$0: no shlibs file for $owner" >&2; exit 70; }
name=${soname%.so.*} major=${soname##*.so.}
curl_depends=$(awk -v name="$name" -v major="$major" '$1 == name && $2 == major { $1 = ""; $2 = ""; sub(/^  /, ""); print; exit }' "$shlibs")
[ -n "$curl_depends" ] || { echo "$0: no shlibs entry for $soname in $shlibs" >&2; exit 70; }

extra_depends=$curl_depends
# lld's packed relocations (-z pack-relative-relocs, Package.swift) make the executable need the version node
# GLIBC_ABI_DT_RELR, which glibc has from 2.36 on; it names no symbol, so libc6's symbols file (hence
# dpkg-shlibdeps) cannot see it and would allow an older glibc the executable does not start on.
versions=$(readelf -V "$build_dir/cyberctl-agent" "$build_dir/cyberctl")
if grep -q 'GLIBC_ABI_DT_RELR' <<<"$versions"; then
    extra_depends="$extra_depends, libc6 (>= 2.36)"
fi

(
    cd "$src"
    CYBERCTL_DEB_OUT="$out_dir" CYBERCTL_EXTRA_DEPENDS="$extra_depends" debian/rules binary >&2
)
ls "$out_dir/cyberctl-agent_${version}_${arch}.deb" "$out_dir/cyberctl_${version}_${arch}.deb"
