"""Reading and rewriting the library search path (DT_RUNPATH / DT_RPATH) of an ELF file.

``burrow pack --standalone`` carries an interpreter whose run path names the place it was
built for (pyenv: ``/home/me/.pyenv/versions/3.12.1/lib``). The copy in the archive gets a
path relative to itself (``$ORIGIN/../lib``) instead. The new string is written in place
of the old one in the dynamic string table, padded with NULs, so nothing else in the file
moves: it must not be longer than the old one, and the old one must not be shared with
another entry (linkers merge string tails). Those are the only rewrites ``pack`` needs: an
absolute directory ending in ``/lib`` is never shorter than ``$ORIGIN/../lib``.
"""

from __future__ import annotations

import struct

from burrow.errors import BurrowError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Tuple

_MAGIC = b"\x7fELF"
_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_STRSZ, _DT_SONAME, _DT_RPATH, _DT_RUNPATH = (
    0,
    1,
    5,
    10,
    14,
    15,
    29,
)


class ElfError(BurrowError):
    """An ELF file whose run path cannot be rewritten in place."""


def is_elf(data: bytes) -> bool:
    return data[:4] == _MAGIC


class _Dynamic:
    """The parts of an ELF file's dynamic section this module reads."""

    def __init__(self, data: bytes) -> None:
        if not is_elf(data) or len(data) < 64:
            raise ElfError("not an ELF file")
        wide = data[4] == 2
        order = "<" if data[5] == 1 else ">"
        if wide:
            phoff, phentsize, phnum = (
                struct.unpack_from(order + "Q", data, 32)[0],
                *struct.unpack_from(order + "HH", data, 54),
            )
            ph_format, dyn_format = order + "IIQQQQQQ", order + "qQ"
        else:
            phoff, phentsize, phnum = (
                struct.unpack_from(order + "I", data, 28)[0],
                *struct.unpack_from(order + "HH", data, 42),
            )
            ph_format, dyn_format = order + "IIIIIIII", order + "iI"
        loads: List[Tuple[int, int, int]] = []  # (vaddr, offset, filesz)
        dynamic: Optional[Tuple[int, int]] = None
        for index in range(phnum):
            fields = struct.unpack_from(ph_format, data, phoff + index * phentsize)
            if wide:
                p_type, _flags, offset, vaddr, _paddr, filesz = fields[:6]
            else:
                p_type, offset, vaddr, _paddr, filesz = fields[:5]
            if p_type == _PT_LOAD:
                loads.append((vaddr, offset, filesz))
            elif p_type == _PT_DYNAMIC:
                dynamic = (offset, filesz)
        self.entries: List[Tuple[int, int]] = []
        if dynamic is not None:
            size = struct.calcsize(dyn_format)
            offset, filesz = dynamic
            for position in range(offset, offset + filesz, size):
                tag, value = struct.unpack_from(dyn_format, data, position)
                if tag == _DT_NULL:
                    break
                self.entries.append((tag, value))
        strtab = self.value(_DT_STRTAB)
        self.strtab = None if strtab is None else _file_offset(loads, strtab)
        self.strsz = self.value(_DT_STRSZ) or 0
        self.data = data

    def value(self, tag: int) -> Optional[int]:
        return next((value for t, value in self.entries if t == tag), None)

    def string(self, index: int) -> bytes:
        start = (self.strtab or 0) + index
        return self.data[start : self.data.index(b"\0", start)]


def _file_offset(loads: List[Tuple[int, int, int]], vaddr: int) -> Optional[int]:
    for start, offset, size in loads:
        if start <= vaddr < start + size:
            return offset + vaddr - start
    return None


def needed(data: bytes) -> List[str]:
    """The libraries an ELF file names, e.g. ['libpython3.12.so.1.0', 'libc.so.6']."""
    dyn = _Dynamic(data)
    if dyn.strtab is None:
        return []
    return [dyn.string(v).decode("utf-8", "replace") for t, v in dyn.entries if t == _DT_NEEDED]


def run_path(data: bytes) -> Optional[str]:
    """DT_RUNPATH (or the older DT_RPATH), e.g. '/opt/python/lib'; None when it has none."""
    dyn = _Dynamic(data)
    for tag in (_DT_RUNPATH, _DT_RPATH):
        index = dyn.value(tag)
        if index is not None and dyn.strtab is not None:
            return dyn.string(index).decode("utf-8", "surrogateescape")
    return None


def with_run_path(data: bytes, new: str) -> bytes:
    """``data`` with its run path replaced by ``new`` (e.g. '$ORIGIN/../lib'), in place."""
    dyn = _Dynamic(data)
    index = next((v for t, v in dyn.entries if t in (_DT_RUNPATH, _DT_RPATH)), None)
    if index is None or dyn.strtab is None:
        raise ElfError("it has no run path to rewrite")
    old = dyn.string(index)
    encoded = new.encode("utf-8", "surrogateescape")
    if len(encoded) > len(old):
        raise ElfError(f"its run path {old.decode(errors='replace')!r} is shorter than {new!r}")
    shared = [
        v
        for t, v in dyn.entries
        if t in (_DT_NEEDED, _DT_SONAME) and index <= v <= index + len(old)
    ]
    if shared:
        raise ElfError("its run path shares bytes with another entry of its string table")
    start = dyn.strtab + index
    patched = bytearray(data)
    patched[start : start + len(old)] = encoded.ljust(len(old), b"\0")
    return bytes(patched)
