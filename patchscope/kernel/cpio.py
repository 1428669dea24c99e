"""The "newc" cpio archive the kernel unpacks as its initramfs
(Documentation/driver-api/early-userspace/buffer-format.rst).

Written by hand: the standard library has no cpio writer, and the format is a fixed
110-byte ASCII header per entry; no maintained PyPI package writes newc with device nodes.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from dataclasses import dataclass

MAGIC = b"070701"
TRAILER = "TRAILER!!!"


@dataclass(frozen=True)
class Entry:
    """One file, directory, symlink or device node of the archive."""

    name: str  # without a leading slash: "bin/busybox"
    mode: int  # type and permission bits, as stat.S_IF* | 0o755
    data: bytes = b""  # a file's contents, a symlink's target
    rdev: tuple[int, int] = (0, 0)  # a device node's (major, minor)


def directory(name: str) -> Entry:
    return Entry(name, stat.S_IFDIR | 0o755)


def regular(name: str, data: bytes, executable: bool = False) -> Entry:
    return Entry(name, stat.S_IFREG | (0o755 if executable else 0o644), data)


def char_device(name: str, major: int, minor: int) -> Entry:
    return Entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))


def archive(entries: Iterable[Entry]) -> bytes:
    """The archive's bytes: every entry, then the trailer; inode numbers in order,
    mtime 0, so the same entries always give the same bytes."""
    out = bytearray()
    for ino, entry in enumerate([*entries, Entry(TRAILER, 0)], start=1):
        out += _header(ino, entry)
        out += _padded(entry.name.encode() + b"\0", len(out) + len(entry.name) + 1)
        out += _padded(entry.data, len(out) + len(entry.data))
    return bytes(out)


def _header(ino: int, entry: Entry) -> bytes:
    nlink = 2 if stat.S_ISDIR(entry.mode) else 1
    fields = (
        ino if entry.name != TRAILER else 0,
        entry.mode,
        0,  # uid
        0,  # gid
        nlink if entry.name != TRAILER else 1,
        0,  # mtime
        len(entry.data),
        0,  # devmajor
        0,  # devminor
        entry.rdev[0],
        entry.rdev[1],
        len(entry.name.encode()) + 1,
        0,  # check (only the "070702" format fills it)
    )
    return MAGIC + b"".join(b"%08x" % value for value in fields)


def _padded(data: bytes, end: int) -> bytes:
    """`data` followed by the NULs that bring the archive's length `end` to a multiple of 4."""
    return data + b"\0" * (-end % 4)
