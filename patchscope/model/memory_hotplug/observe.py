"""What a reviewer reads off a hot-added range after a flow: counts, where its memmap
lives, the struct-page virtual ranges and the accounting of the zone it went into.

Every number is computed from the kernel's state and geometry, never looked up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from patchscope.model.memory_hotplug.kernel import Kernel, Zone


class Geometry(Protocol):
    """The configuration values the arithmetic needs (Config has them all)."""

    @property
    def page_shift(self) -> int: ...
    @property
    def section_size_bits(self) -> int: ...
    @property
    def struct_page_size(self) -> int: ...
    @property
    def vmemmap_start(self) -> int: ...


def pfn_of(g: Geometry, address: int) -> int:
    return address >> g.page_shift


def pages_per_section(g: Geometry) -> int:
    return 1 << (g.section_size_bits - g.page_shift)


def sections_spanned(g: Geometry, start: int, size: int) -> int:
    """Sections the byte range [start, start + size) touches, partial ones included."""
    if size <= 0:
        return 0
    first = start >> g.section_size_bits
    last = (start + size - 1) >> g.section_size_bits
    return last - first + 1


def page_va(g: Geometry, pfn: int) -> int:
    """pfn_to_page() under SPARSEMEM_VMEMMAP: `vmemmap + pfn`, in bytes."""
    return g.vmemmap_start + pfn * g.struct_page_size


def memmap_va_range(g: Geometry, start_pfn: int, nr_pages: int) -> tuple[int, int]:
    """Half-open virtual range of the struct pages of `nr_pages` pfns from `start_pfn`."""
    return page_va(g, start_pfn), page_va(g, start_pfn + nr_pages)


def memmap_pages(g: Geometry, nr_pages: int) -> int:
    """Pages of memmap that `nr_pages` struct pages fill (rounded up to whole pages)."""
    page_size = 1 << g.page_shift
    return -(-nr_pages * g.struct_page_size // page_size)


def vmemmap_pages_for(g: Geometry, start: int, size: int) -> int:
    """Pages of memmap the sections of a range need, wherever they live."""
    return memmap_pages(g, sections_spanned(g, start, size) * pages_per_section(g))


def gigantic_ranges(free_pfns: list[tuple[int, int]], g: Geometry, order_bytes: int) -> int:
    """Free, `order_bytes`-aligned, contiguous ranges of that size inside the free pfn runs."""
    per = order_bytes >> g.page_shift
    count = 0
    for start, end in free_pfns:
        first = -(-start // per) * per
        if end > first:
            count += (end - first) // per
    return count


def hex_address(value: int) -> str:
    return f"{value:#018x}"


def observables(k: Kernel, start: int, size: int) -> dict[str, int | str]:
    """The hot-added range [start, start + size) as the kernel's state shows it now."""
    g = k.config
    start_pfn, nr_pages = pfn_of(g, start), size >> g.page_shift
    end_pfn = start_pfn + nr_pages
    inside, outside = memmap_backing(k, start_pfn, end_pfn)
    head = k.pages.get(start_pfn)
    marked = "Vmemmap" in head.flags
    zone = onlined_zone(k, start_pfn, end_pfn)
    first_va, end_va = memmap_va_range(g, start_pfn, nr_pages)
    lent_start, lent_end = inside[0] if inside else (start_pfn, start_pfn)
    return {
        "sections": sections_spanned(g, start, size),
        "pages": nr_pages,
        "vmemmap_pages": vmemmap_pages_for(g, start, size),
        "memmap_from_range_pages": sum(e - s for s, e in inside),
        "memmap_from_node_pages": sum(e - s for s, e in outside),
        "memory_blocks_registered": blocks_registered(k, start_pfn, end_pfn),
        "spanned_pages": zone.spanned_pages if zone else 0,
        "present_pages": zone.present_pages if zone else 0,
        "managed_pages": zone.managed_pages if zone else 0,
        "refcount": head.refcount if marked else 0,
        "private": head.private if marked else 0,
        "memmap_va_start": hex_address(first_va),
        "memmap_va_end": hex_address(end_va),
        "vmemmap_va_start": hex_address(page_va(g, lent_start)),
        "vmemmap_va_end": hex_address(
            page_va(g, max(e for _, e in inside) if inside else lent_end)
        ),
        "order8_allocations": sum(order == 8 for order, _ in k.order_allocations),
        "gigantic_pages": gigantic_ranges(free_runs(k, start_pfn, end_pfn), g, 1 << 30),
    }


def memmap_backing(
    k: Kernel, start_pfn: int, end_pfn: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The pfn ranges backing the range's vmemmap, split into those inside the range and
    those taken from a node's memory, each sorted by pfn."""
    g = k.config
    first = page_va(g, start_pfn) >> g.vmemmap_page_shift
    last = (page_va(g, end_pfn) - 1) >> g.vmemmap_page_shift
    inside: list[tuple[int, int]] = []
    outside: list[tuple[int, int]] = []
    for index in range(first, last + 1):
        block = k.vmemmap.get(index)
        if block is not None:
            side = inside if start_pfn <= block.pfn < end_pfn else outside
            side.append((block.pfn, block.end_pfn))
    return sorted(inside), sorted(outside)


def blocks_registered(k: Kernel, start_pfn: int, end_pfn: int) -> int:
    g = k.config
    per_block = g.pages_per_block
    ids = range(start_pfn // per_block, -(-end_pfn // per_block))
    return sum(i in k.memory_blocks for i in ids)


def onlined_zone(k: Kernel, start_pfn: int, end_pfn: int) -> Zone | None:
    """The zone the range's first online section went into; None while none is online."""
    g = k.config
    for nr in range(g.section_nr(start_pfn), g.section_nr(end_pfn - 1) + 1):
        section = k.sections.get(nr)
        if section is not None and section.online:
            return k.zone_of(max(start_pfn, g.section_start_pfn(nr)))
    return None


def free_runs(k: Kernel, start_pfn: int, end_pfn: int) -> list[tuple[int, int]]:
    """Maximal stretches of pages in the buddy, neighbouring runs joined."""
    out: list[tuple[int, int]] = []
    for s, e, state in k.pages.runs(start_pfn, end_pfn):
        if "Buddy" not in state.flags:
            continue
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out
