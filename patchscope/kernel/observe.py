"""The observables compared, read the same way off the kernel's accounting and off the
model's state: per phase of a flow, for the hot-added range and the zone it goes into.

Zone counters, MemTotal and the memmap taken from the node are changes since the flow
began, so the guest's boot memory and the model's need not be the same size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from patchscope.kernel.accounting import Accounting, pages
from patchscope.model.memory_hotplug.observe import memmap_backing

if TYPE_CHECKING:
    from patchscope.model.memory_hotplug.kernel import Kernel

Observed = Mapping[str, int | str]

OBSERVABLES: tuple[str, ...] = (
    "outcome",
    "memory_blocks",
    "block_states",
    "sections",
    "zone_spanned",
    "zone_present",
    "zone_managed",
    "memmap_from_node_pages",
    "mem_total_pages",
)
ZONE_OF = {"movable": "Movable", "kernel": "Normal"}  # the zone each online type fills


def block_states(states: Iterable[str]) -> str:
    """ "online:8", "offline:1": how many blocks of the range are in each state."""
    counts = Counter(states)
    return ", ".join(f"{state}:{n}" for state, n in sorted(counts.items())) or "-"


def memmap_drop(before: Accounting, now: Accounting, zone: str) -> int:
    """Pages the zones that had memory at boot lost since `before`, per-cpu lists counted
    as free (a freed memmap page sits there until the list drains)."""
    boot_zones = [name for name, z in before.zones.items() if z.present and name != zone]
    return before.free_pages(boot_zones) - now.free_pages(boot_zones)


def kernel_observed(
    before: Accounting, now: Accounting, outcome: str, blocks: range, zone: str, unit: int
) -> Observed:
    """`unit`: pages of one vmemmap mapping (a 2 MiB PMD). The memmap drop is rounded to
    whole units: slab and sysfs allocations of the same moment move free pages by a few,
    a memmap moves them by units."""
    present = [b for b in blocks if b in now.blocks]
    was, is_ = before.zones[zone], now.zones[zone]
    return {
        "outcome": outcome,
        "memory_blocks": len(present),
        "block_states": block_states(now.blocks[b] for b in present),
        "sections": len(present) * now.sections_per_block,
        "zone_spanned": is_.spanned - was.spanned,
        "zone_present": is_.present - was.present,
        "zone_managed": is_.managed - was.managed,
        "memmap_from_node_pages": round(memmap_drop(before, now, zone) / unit) * unit,
        "mem_total_pages": pages(now.meminfo_kb["MemTotal"] - before.meminfo_kb["MemTotal"]),
    }


def zone_counts(k: Kernel, zone: str) -> tuple[int, int, int, int]:
    """(spanned, present, managed, totalram) of node 0's `zone` in the model."""
    z = k.nodes[0].zones[zone]
    return z.spanned_pages, z.present_pages, z.managed_pages, k.totalram_pages


def model_observed(
    k: Kernel, before: tuple[int, int, int, int], outcome: str, start: int, size: int, zone: str
) -> Observed:
    g = k.config
    start_pfn, end_pfn = g.pfn(start), g.pfn(start + size)
    per_block = g.pages_per_block
    present = [
        b for b in range(start_pfn // per_block, -(-end_pfn // per_block)) if b in k.memory_blocks
    ]
    sections = range(g.section_nr(start_pfn), g.section_nr(end_pfn - 1) + 1 if size else 0)
    _, outside = memmap_backing(k, start_pfn, end_pfn)
    now = zone_counts(k, zone)
    return {
        "outcome": outcome,
        "memory_blocks": len(present),
        "block_states": block_states(k.memory_block_state(b) for b in present),
        "sections": sum(nr in k.sections and k.sections[nr].present for nr in sections),
        "zone_spanned": now[0] - before[0],
        "zone_present": now[1] - before[1],
        "zone_managed": now[2] - before[2],
        "memmap_from_node_pages": sum(e - s for s, e in outside),
        "mem_total_pages": now[3] - before[3],
    }
