"""The closed list of 6.1 behaviours the v5.0 model lacks on purpose: a row where model
and kernel disagree is by design only when an entry here covers it, and every entry names
the line of Linux 6.1 (Debian's linux-source-6.1) that makes 6.1 behave so. Any other
disagreement is a model bug."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MEMMAP_OBSERVABLES = ("memmap_from_node_pages", "zone_managed", "mem_total_pages")
MEMMAP_ON_MEMORY = "memory_hotplug.memmap_on_memory="


@dataclass(frozen=True)
class Situation:
    """What a by-design entry may look at: the row and how the kernel was driven."""

    phase: str
    observable: str
    append: str  # the guest's kernel command line, past patchscope's own
    dimm_size: int
    block_size: int
    model_memmap_in_range: bool  # the model kept the memmap on the hot-added memory


@dataclass(frozen=True)
class ByDesign:
    id: str
    why: str
    file: str  # below the tarball's top folder
    line: str  # the source line, as it stands there (leading whitespace aside)
    covers: Callable[[Situation], bool]

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "why": self.why, "file": self.file, "line": self.line}


def memmap_on_memory(append: str) -> bool:
    """memory_hotplug.memmap_on_memory given as a true bool (param_set_bool: 1/y/Y/on)."""
    values = [
        word.partition("=")[2] for word in append.split() if word.startswith(MEMMAP_ON_MEMORY)
    ]
    return bool(values) and values[-1].lower() in ("1", "y", "yes", "on", "true")


def _memmap_row(s: Situation) -> bool:
    return s.observable in MEMMAP_OBSERVABLES


ENTRIES: tuple[ByDesign, ...] = (
    ByDesign(
        "zone-shrinks-at-offline",
        "6.1 shrinks the zone's span when a range goes offline; v5.0 only when it is removed",
        "mm/memory_hotplug.c",
        "remove_pfn_range_from_zone(zone, start_pfn, nr_pages);",
        lambda s: s.phase == "offline" and s.observable == "zone_spanned",
    ),
    ByDesign(
        "memmap-on-memory-opt-in",
        "6.1 keeps the memmap on hot-added memory only with memory_hotplug.memmap_on_memory",
        "mm/memory_hotplug.c",
        "static bool memmap_on_memory __ro_after_init;",
        lambda s: _memmap_row(s) and s.model_memmap_in_range and not memmap_on_memory(s.append),
    ),
    ByDesign(
        "memmap-on-memory-one-block",
        "6.1 keeps the memmap on the memory only for an add of exactly one memory block",
        "mm/memory_hotplug.c",
        "size == memory_block_size_bytes() &&",
        lambda s: (
            _memmap_row(s)
            and s.model_memmap_in_range
            and memmap_on_memory(s.append)
            and s.dimm_size != s.block_size
        ),
    ),
    ByDesign(
        "memmap-on-memory-is-6.1",
        "6.1's ACPI driver asks for the memmap on a one-block DIMM; v5.0 has no such request",
        "drivers/acpi/acpi_memhotplug.c",
        "mhp_flags |= MHP_MEMMAP_ON_MEMORY;",
        lambda s: (
            _memmap_row(s)
            and not s.model_memmap_in_range
            and memmap_on_memory(s.append)
            and s.dimm_size == s.block_size
        ),
    ),
)


def covering(situation: Situation) -> ByDesign | None:
    return next((e for e in ENTRIES if e.covers(situation)), None)
