#!/usr/bin/env python3
"""Marks one symbol-version requirement of an ELF64 shared library as weak, in place.

    python3 bench/weaken_glibcxx.py LIBRARY [--version GLIBCXX_3.4.32] [--check]

Why: TorchSharp-cpu 0.107's libLibTorchSharp.so is built with GCC 13 and lists GLIBCXX_3.4.32 among the
versions it needs from libstdc++.so.6; Debian 12's libstdc++ (GCC 12) stops at GLIBCXX_3.4.30, so the
dynamic loader refuses the library ("version `GLIBCXX_3.4.32' not found"). The library's only symbol of
that version is std::ios_base_library_init(), which GCC 13's <iostream> references to pull in the
stream initialisation and never calls (no relocation uses it). A requirement flagged VER_FLG_WEAK is
one the loader does not insist on (glibc's _dl_check_map_versions: a missing weak version is not an
error), so setting that flag lets the library load on Debian 12's libstdc++.

What it changes: in the .gnu.version_r section (SHT_GNU_verneed) each Elf64_Verneed names a needed
library and heads a list of Elf64_Vernaux, one per version; the Vernaux whose name (an offset into
the section's linked string table, .dynstr) is the requested version gets VER_FLG_WEAK (0x2) set in
its vna_flags. That is one 16-bit field; nothing moves, the file keeps its size. The file is rewritten
through a temporary file and a rename, so a hard link to it (a package cache) keeps the original,
and its modification time is kept, so MSBuild's copy of unchanged files leaves the patched one alone.

Idempotent: a requirement that is already weak is left alone. --check changes nothing and exits 0
when the requirement is weak or absent, 1 when it is strong (the loader would refuse the library).
Standard library only. Check with `readelf -V LIBRARY` (the entry's Flags: none -> WEAK).
"""
import argparse
import os
import struct
import sys
import tempfile

SHT_GNU_VERNEED = 0x6FFFFFFE  # .gnu.version_r
VER_FLG_WEAK = 0x2

ELF64_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")  # e_ident .. e_shstrndx (little-endian ELF64)
ELF64_SHDR = struct.Struct("<IIQQQQIIQQ")  # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info, sh_addralign, sh_entsize
VERNEED = struct.Struct("<HHIII")  # vn_version, vn_cnt, vn_file, vn_aux, vn_next
VERNAUX = struct.Struct("<IHHII")  # vna_hash, vna_flags, vna_other, vna_name, vna_next


def fail(msg):
    print(f"weaken_glibcxx: {msg}", file=sys.stderr)
    sys.exit(2)


def cstring(data, offset):
    """The NUL-terminated string at offset."""
    end = data.index(b"\0", offset)
    return data[offset:end].decode("ascii", "replace")


def section_headers(data):
    """The section headers as tuples of ELF64_SHDR's fields (checks that it is a little-endian ELF64 file)."""
    if data[:4] != b"\x7fELF":
        fail("not an ELF file")
    if data[4] != 2 or data[5] != 1:  # EI_CLASS = ELFCLASS64, EI_DATA = ELFDATA2LSB
        fail("only little-endian ELF64 files are handled")
    ehdr = ELF64_EHDR.unpack_from(data, 0)
    shoff, shentsize, shnum = ehdr[6], ehdr[11], ehdr[12]
    if shoff == 0:
        fail("the file has no section headers")
    if shnum == 0:  # more than 0xff00 sections: the count is in section 0's sh_size
        shnum = ELF64_SHDR.unpack_from(data, shoff)[5]
    return [ELF64_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]


def find_requirement(data, version):
    """(file name, Vernaux offset in the file, vna_flags) of every requirement named `version`."""
    sections = section_headers(data)
    verneed = [s for s in sections if s[1] == SHT_GNU_VERNEED]
    if not verneed:
        fail("no .gnu.version_r (SHT_GNU_verneed) section: the library needs no symbol versions")
    found = []
    for sec in verneed:
        offset, size, link, count = sec[4], sec[5], sec[6], sec[7]  # sh_info: the number of Verneed entries
        strtab = sections[link][4]  # sh_link: the string table of the names (.dynstr)
        need = offset
        for _ in range(count):
            if not offset <= need < offset + size:
                fail("a Verneed entry lies outside its section: the file looks damaged")
            _, cnt, vn_file, vn_aux, vn_next = VERNEED.unpack_from(data, need)
            aux = need + vn_aux
            for _ in range(cnt):
                _, flags, _, name, vna_next = VERNAUX.unpack_from(data, aux)
                if cstring(data, strtab + name) == version:
                    found.append((cstring(data, strtab + vn_file), aux, flags))
                aux += vna_next
            if vn_next == 0:
                break
            need += vn_next
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("library")
    p.add_argument("--version", default="GLIBCXX_3.4.32", help="the version requirement to weaken (default GLIBCXX_3.4.32)")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if the requirement is still strong")
    a = p.parse_args()

    with open(a.library, "rb") as f:
        data = bytearray(f.read())
    found = find_requirement(data, a.version)
    if not found:
        print(f"{a.library}: needs no {a.version}: nothing to do")
        return 0
    strong = [(lib, off, flags) for lib, off, flags in found if not flags & VER_FLG_WEAK]
    if a.check:
        for lib, _, flags in found:
            print(f"{a.library}: {a.version} from {lib} is {'weak' if flags & VER_FLG_WEAK else 'required (not weak)'}")
        return 1 if strong else 0
    if not strong:
        print(f"{a.library}: {a.version} from {', '.join(lib for lib, _, _ in found)} is already weak: unchanged")
        return 0
    for lib, off, flags in strong:
        # vna_flags is the 16-bit field after the 32-bit vna_hash.
        struct.pack_into("<H", data, off + 4, flags | VER_FLG_WEAK)
        print(f"{a.library}: {a.version} from {lib}: vna_flags 0x{flags:x} -> 0x{flags | VER_FLG_WEAK:x} (weak) at file offset 0x{off + 4:x}")

    # Write a new file beside the old one and rename it over: a hard link elsewhere keeps the original.
    st = os.stat(a.library)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(a.library)), prefix=".weaken-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, st.st_mode & 0o7777)
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(tmp, a.library)
    except BaseException:
        os.unlink(tmp)
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
