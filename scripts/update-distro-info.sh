#!/usr/bin/env bash
# Refreshes cyberctl's copy of distro-info-data (Profiles/distro-info/debian.csv and ubuntu.csv), used by
# patch.os-eol when the audited system has no /usr/share/distro-info of its own.
#
# The files are taken unchanged from the distro-info-data package of this machine's apt sources (the
# newest version apt offers: `apt-get download`, no root needed, nothing installed), and the package
# version is recorded in Profiles/distro-info/SOURCE. Run it when Debian publishes a new
# distro-info-data (each point release, new Ubuntu release, new LTS/ELTS dates), then commit the three files.
#
# Usage: scripts/update-distro-info.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/cyberctl-distro-info-XXXXXX)
trap 'rm -rf "$work"' EXIT

(cd "$work" && apt-get download -q distro-info-data >/dev/null)
deb=$(ls "$work"/distro-info-data_*.deb)
version=$(dpkg-deb --field "$deb" Version)
dpkg-deb -x "$deb" "$work/tree"
target=Profiles/distro-info
mkdir -p "$target"
for name in debian.csv ubuntu.csv; do
    [ -s "$work/tree/usr/share/distro-info/$name" ] || { echo "distro-info-data $version has no $name" >&2; exit 65; }
    cp "$work/tree/usr/share/distro-info/$name" "$target/$name.new"
    mv "$target/$name.new" "$target/$name"
done
cat > "$target/SOURCE" <<SOURCE
debian.csv and ubuntu.csv: unchanged copies of /usr/share/distro-info/ from the Debian package
distro-info-data $version (https://salsa.debian.org/debian/distro-info-data, ISC licence),
fetched on $(date -u +%Y-%m-%d) by scripts/update-distro-info.sh.
SOURCE
echo "Profiles/distro-info: distro-info-data $version"
