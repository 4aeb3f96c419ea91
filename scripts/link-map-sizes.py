#!/usr/bin/env python3
"""What fills an executable, by origin: the sizes of the sections a link map (lld `-Map`) assigns to each archive
(Swift runtime, FoundationEssentials, ...) or SwiftPM module (`pkg:Checks`, ...), loadable sections only.

Usage: scripts/link-map-sizes.py MAP [SECTION ...]
MAP comes from relinking a release build with `-Xlinker -Map=FILE` (docs/benchmarks.md, "The agent's executable",
says how). Prints, for each SECTION (default .text .rodata .eh_frame), its size and its largest contributors in MB
(10^6 bytes), then the loadable total (debug sections, symbol tables and .bss excluded) by origin."""
import collections
import re
import sys

OUTPUT = re.compile(r'\s*([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+) (\S.*)$')
INPUT = re.compile(r'\s*([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+)         (\S.*)$')
NOT_LOADED = ('.bss', '.tbss', '.comment', '.symtab', '.strtab', '.shstrtab')


def origin(source):
    if source.startswith('<internal>'):
        return '<linker>'
    path = source.split(':(')[0]
    module = re.search(r'/([^/]+)\.build/', path)
    if module:
        return 'pkg:' + module.group(1)
    archive = re.search(r'/(lib[^/]+\.a)\(', path) or re.search(r'/([^/]+)$', path)
    return archive.group(1) if archive else path


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sizes = collections.defaultdict(int)
    section = None
    with open(sys.argv[1]) as lines:
        for line in lines:
            match = OUTPUT.match(line)
            if match:
                section = match.group(5).strip()
                continue
            match = INPUT.match(line)
            if match and section:
                sizes[(section, origin(match.group(5)))] += int(match.group(3), 16)
    for wanted in sys.argv[2:] or ['.text', '.rodata', '.eh_frame']:
        parts = sorted(((size, who) for (name, who), size in sizes.items() if name == wanted), reverse=True)
        print(f'{wanted}: {sum(size for size, _ in parts) / 1e6:.2f} MB')
        for size, who in parts[:10]:
            print(f'  {size / 1e6:6.2f}  {who}')
    loaded = collections.defaultdict(int)
    for (name, who), size in sizes.items():
        if not name.startswith('.debug') and name not in NOT_LOADED:
            loaded[who] += size
    print(f'loadable, all sections: {sum(loaded.values()) / 1e6:.2f} MB')
    for who, size in sorted(loaded.items(), key=lambda item: -item[1])[:20]:
        print(f'  {size / 1e6:6.2f}  {who}')


main()
