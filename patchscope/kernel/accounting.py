"""The kernel's hotplug accounting as the guest's one-pass dump shows it: the sysfs memory
blocks, /proc/meminfo and /proc/zoneinfo, parsed into plain values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from patchscope.errors import PatchscopeError

_BLOCK = re.compile(r"/sys/devices/system/memory/memory(\d+)/(state|phys_index):(.*)")
_ZONE = re.compile(r"Node (\d+), zone\s+(\w+)")
_COUNTER = re.compile(r"\s+(pages free|spanned|present|managed|count:)\s+(\d+)")
_MEMINFO = re.compile(r"(\w+):\s+(\d+) kB")


class DumpError(PatchscopeError):
    """The guest's dump lacks a value the comparison needs."""


@dataclass(frozen=True)
class ZoneCounters:
    """One zone of /proc/zoneinfo; `pcp` is what its per-cpu lists hold (free, but not in
    "pages free": a freed page reaches the buddy only when its list drains)."""

    spanned: int = 0
    present: int = 0
    managed: int = 0
    free: int = 0
    pcp: int = 0


@dataclass(frozen=True)
class Accounting:
    block_size: int
    blocks: Mapping[int, str]  # memory block id -> state
    sections_per_block: int
    zones: Mapping[str, ZoneCounters]  # node 0's zones by name
    meminfo_kb: Mapping[str, int]

    def free_pages(self, zones: Iterable[str]) -> int:
        """Free pages of the named zones, per-cpu lists counted."""
        return sum(self.zones[z].free + self.zones[z].pcp for z in zones if z in self.zones)


def parse(lines: Iterable[str]) -> Accounting:
    block_size = 0
    states: dict[int, str] = {}
    indexes: dict[int, int] = {}
    zones: dict[str, dict[str, int]] = {}
    meminfo: dict[str, int] = {}
    zone: dict[str, int] | None = None
    for line in lines:
        path, _, value = line.partition(":")
        if path.endswith("/block_size_bytes"):
            block_size = int(value, 16)
        elif m := _BLOCK.fullmatch(line):
            if m[2] == "state":
                states[int(m[1])] = m[3].strip()
            else:
                indexes[int(m[1])] = int(m[3], 16)
        elif path == "/proc/meminfo" and (m := _MEMINFO.match(value)):
            meminfo[m[1]] = int(m[2])
        elif path == "/proc/zoneinfo":
            zone = _zoneinfo_line(value, zones, zone)
    if not block_size or not states or "MemTotal" not in meminfo or not zones:
        raise DumpError("the guest's dump has no memory blocks, MemTotal or zoneinfo")
    return Accounting(
        block_size=block_size,
        blocks=states,
        sections_per_block=_sections_per_block(indexes),
        zones={name: ZoneCounters(**counters) for name, counters in zones.items()},
        meminfo_kb=meminfo,
    )


_FIELDS = {"pages free": "free", "count:": "pcp"}


def _zoneinfo_line(
    value: str, zones: dict[str, dict[str, int]], zone: dict[str, int] | None
) -> dict[str, int] | None:
    """Fold one /proc/zoneinfo line into `zones`; the zone the following lines belong to."""
    if m := _ZONE.match(value):
        # node 0 only: the guest has one node
        return zones.setdefault(m[2], {}) if m[1] == "0" else None
    if zone is not None and (m := _COUNTER.match(value)):
        key = _FIELDS.get(m[1], m[1])
        zone[key] = zone.get(key, 0) + int(m[2]) if key == "pcp" else int(m[2])
    return zone


def _sections_per_block(indexes: Mapping[int, int]) -> int:
    """phys_index is the block's first section number, block id * sections per block."""
    for block, index in indexes.items():
        if block:
            return index // block
    raise DumpError("the guest's dump has no memory block past memory0 to read sections from")


def pages(kb: int, page_size: int = 4096) -> int:
    return kb * 1024 // page_size
