#!/usr/bin/env bash
# Writes debian/copyright (DEP-5, https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/) on
# stdout: cyberctl's own files, the Swift toolchain parts a release build links statically, and one
# paragraph per package SwiftPM resolved (the folders of CHECKOUTS), its licence recognised from the
# checkout's licence file. A licence it does not recognise stops the build (exit 65): someone must read it.
#
#   packaging/deb/copyright.sh CHECKOUTS
set -euo pipefail
checkouts=$1

cat <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: cyberctl
Upstream-Contact: cyberctl maintainers
Source: https://github.com/cyberctl/cyberctl
Comment: cyberctl links the Swift runtime, Foundation and ICU data statically; cyberctl-agent the Swift runtime
 and FoundationEssentials only (no ICU). Both link Swift packages listed below (cyberctl all of them;
 cyberctl-agent a subset: no HTTP server, SwiftNIO, BoringSSL or SQLite layer). System libraries (OpenSSL,
 libcurl, libyaml, zlib, ...) are used from their own Debian packages.

Files: *
Copyright: cyberctl contributors
License: cyberctl
 The cyberctl project has not published a licence yet; until it does, this package may be used to
 evaluate cyberctl but carries no grant beyond what its authors gave you directly.

Files: swift-toolchain/*
Copyright: Apple Inc. and the Swift project authors
License: Apache-2.0
Comment: The Swift standard library, runtime and Foundation (swift-corelibs-foundation,
 swift-foundation), linked statically: Apache License 2.0 with the Runtime Library Exception.

Files: swift-toolchain/icu/*
Copyright: Unicode, Inc. and others
License: Unicode-DFS-2016
Comment: ICU data and code inside Foundation (swift-foundation-icu). Full text:
 https://github.com/unicode-org/icu/blob/main/LICENSE
EOF

mit=0
for folder in "$checkouts"/*/; do
    name=$(basename "$folder")
    # Yams is the reference the YAML reader is tested against (YAMLTests): no executable links it.
    [ "$name" = Yams ] && continue
    licence_file=$(find "$folder" -maxdepth 1 -iname 'licen[cs]e*' | sort | head -1)
    if [ -z "$licence_file" ]; then
        echo "copyright.sh: $name has no licence file" >&2
        exit 65
    fi
    if grep -q 'Apache License' "$licence_file" && grep -q 'Version 2.0' "$licence_file"; then
        licence=Apache-2.0
    elif grep -q 'Permission is hereby granted, free of charge' "$licence_file"; then
        licence=Expat
        mit=1
    else
        echo "copyright.sh: $name: licence in $licence_file not recognised" >&2
        exit 65
    fi
    holder=$({ cat "$licence_file" "$folder"/NOTICE* 2>/dev/null || true; } | grep -i -m1 -E '^[[:space:]]*Copyright (\(c\) |©)?[0-9]' |
        sed -E 's/^[[:space:]]*Copyright (\([cC]\) |©)?//; s/[[:space:]]+$//' || true)
    version=$(git -C "$folder" describe --tags --always 2>/dev/null || echo unknown)
    echo
    echo "Files: swift-packages/$name/*"
    echo "Copyright: ${holder:-the $name authors}"
    echo "License: $licence"
    case "$name" in
        swift-nio-ssl | swift-crypto)
            echo "Comment: version $version. Includes BoringSSL (OpenSSL and ISC licences:"
            echo " https://boringssl.googlesource.com/boringssl/+/HEAD/LICENSE)." ;;
        *) echo "Comment: version $version." ;;
    esac
done

cat <<'EOF'

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file except in
 compliance with the License. You may obtain a copy of the License at
 http://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software distributed under the License is
 distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 See the License for the specific language governing permissions and limitations under the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0 can be found in
 "/usr/share/common-licenses/Apache-2.0".

License: Unicode-DFS-2016
 Permission is hereby granted, free of charge, to any person obtaining a copy of data files and any
 associated documentation (the "Data Files") or software and any associated documentation (the
 "Software") to deal in the Data Files or Software without restriction, including without limitation the
 rights to copy, modify, merge, publish, distribute, and/or sell copies of the Data Files or Software, and
 to permit persons to whom the Data Files or Software are furnished to do so, provided that either (a)
 this copyright and permission notice appear with all copies of the Data Files or Software, or (b) this
 copyright and permission notice appear in associated Documentation.
 .
 THE DATA FILES AND SOFTWARE ARE PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
 INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 NONINFRINGEMENT OF THIRD PARTY RIGHTS.
EOF

if [ "$mit" = 1 ]; then
    cat <<'EOF'

License: Expat
 Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
 associated documentation files (the "Software"), to deal in the Software without restriction, including
 without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
 following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or substantial
 portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
 LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
 EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
 IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR
 THE USE OR OTHER DEALINGS IN THE SOFTWARE.
EOF
fi
