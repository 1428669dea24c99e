"""mm/page_alloc.c (and the boot path that fills it): the buddy allocator, block by block.

Free lists are per zone and order (zone->free_area[order]); blocks split and merge with their
buddies as __free_one_page() and expand() do. Page state changes are made on whole blocks,
never page by page.
"""

from __future__ import annotations

from patchscope.model.memory_hotplug.kernel import (
    Kernel,
    KernelError,
    MemmapBlock,
    MemoryBlock,
    MemSection,
    Node,
    Resource,
    VmemAltmap,
    Zone,
    free_areas,
    kernel_function,
)
from patchscope.model.memory_hotplug.pages import PageState, struct_pages

# zonelist order per allocation type (GFP_KERNEL may not use ZONE_MOVABLE)
ZONELIST = {"kernel": ("Normal", "DMA32", "DMA"), "movable": ("Movable", "Normal", "DMA32", "DMA")}


def _boot_page(zone: str) -> dict[str, object]:
    """A boot struct page after memmap_init(): initialised, Reserved until freed."""
    return {
        "present": True,
        "initialised": True,
        "flags": frozenset({"Reserved"}),
        "refcount": 1,
        "zone": zone,
    }


def free_blocks(start: int, end: int, max_order: int) -> list[tuple[int, int, int]]:
    """[start, end) cut into the largest aligned buddy blocks, as (pfn, order, count) strides."""
    strides: list[tuple[int, int, int]] = []
    top = max_order - 1
    while start < end:
        order = top
        while order and (start % (1 << order) or start + (1 << order) > end):
            order -= 1
        count = (end - start) >> order if order == top else 1
        strides.append((start, order, count))
        start += count << order
    return strides


# --- boot -------------------------------------------------------------------------------


@kernel_function()
def mem_init(k: Kernel) -> None:
    """Boot: free_area_init_nodes, sparse_init, memmap_init and memblock_free_all
    (mm/page_alloc.c, mm/sparse.c, mm/memblock.c): boot memory split evenly over the nodes,
    its memmap taken top-down from each node as memblock does, the rest freed to the buddy."""
    c = k.config
    end_pfn = c.pfn(c.boot_memory_end)
    per_node = (end_pfn // c.nr_nodes) >> c.pfn_section_shift << c.pfn_section_shift
    for nid in range(c.nr_nodes):
        first = nid * per_node
        last = end_pfn if nid == c.nr_nodes - 1 else first + per_node
        _boot_node(k, nid, first, last)


def _boot_node(k: Kernel, nid: int, start: int, end: int) -> None:
    c = k.config
    zones = {
        name: Zone(name, nid, free_area=free_areas(c.max_order))
        for name in (c.low_zone, "Normal", "Movable")
        if name
    }
    k.nodes[nid] = Node(nid, zones, start, end - start, end - start)
    low_end = min(max(c.pfn(c.low_zone_end), start), end) if c.low_zone else start
    for name, lo, hi in ((c.low_zone, start, low_end), ("Normal", low_end, end)):
        if name and hi > lo:
            zones[name].zone_start_pfn = lo
            zones[name].spanned_pages = zones[name].present_pages = hi - lo
    for zone in zones.values():
        if zone.spanned_pages:
            k.pages.set(zone.zone_start_pfn, zone.zone_end_pfn, **_boot_page(zone.name))
    k.iomem.append(Resource(start << c.page_shift, end << c.page_shift))
    reserved_from = _boot_memmap(k, nid, start, end)
    for nr in range(c.section_nr(start), c.section_nr(end)):
        section = k.sections.setdefault(nr, MemSection(nr, nid, has_mem_map=True, usemap=True))
        section.online = True
    for nr in range(c.section_nr(start), c.section_nr(end), c.sections_per_block):
        block_id = nr // c.sections_per_block
        k.memory_blocks[block_id] = MemoryBlock(block_id, nid, c.sections_per_block)
    for zone in zones.values():
        lo, hi = zone.zone_start_pfn, min(zone.zone_end_pfn, reserved_from)
        for pfn, order, count in free_blocks(lo, hi, c.max_order):
            k.call("__free_pages_core", pfn, order, count)
    k.totalram_pages += reserved_from - start


def _boot_memmap(k: Kernel, nid: int, start: int, end: int) -> int:
    """Place the node's memmap top-down below `end`; return the lowest pfn it took."""
    c = k.config
    top = end
    if c.sparsemem_vmemmap:
        first = c.page_va(start) >> c.vmemmap_page_shift
        last = (c.page_va(end) - 1) >> c.vmemmap_page_shift
        for index in range(first, last + 1):
            if index not in k.vmemmap:
                top -= 1 << c.vmemmap_page_order
                k.vmemmap[index] = MemmapBlock(nid, top, c.vmemmap_page_order, altmap=False)
        return top
    order = get_order(c.memmap_pages_per_section)
    for nr in range(c.section_nr(start), c.section_nr(end)):
        top -= 1 << order
        k.sections[nr] = MemSection(
            nr,
            nid,
            has_mem_map=True,
            usemap=True,
            mem_map=MemmapBlock(nid, top, order, altmap=False),
        )
    return top


def get_order(nr_pages: int) -> int:
    """get_order() on a page count: the smallest order whose block holds nr_pages."""
    return max(nr_pages - 1, 0).bit_length()


# --- freeing ----------------------------------------------------------------------------


@kernel_function("__free_pages_core")
def free_pages_core(k: Kernel, pfn: int, order: int, count: int = 1) -> None:
    """mm/page_alloc.c __free_pages_core(): hand pages that never were in the buddy to it,
    counting them in the zone's managed pages. `count` blocks of `order` in a row are one
    call, so that onlining 1 TiB is not a quarter of a million calls."""
    nr = count << order
    k.pages.clear_flags(pfn, pfn + nr, "Reserved", refcount=0)
    _zone(k, pfn).managed_pages += nr
    # __free_pages() -> __free_pages_ok() -> free_one_page(): nothing else happens between
    k.call("free_one_page", pfn, order, count)


@kernel_function()
def free_one_page(k: Kernel, pfn: int, order: int, count: int = 1) -> None:
    """mm/page_alloc.c free_one_page() -> __free_one_page(): merge with free buddies up to
    the largest order and put the block on its zone's free list."""
    zone = _zone(k, pfn)
    top = k.config.max_order - 1
    if order == top:  # nothing merges above the largest order: a stride goes in at once
        zone.free_area[top].add_many(range(pfn, pfn + (count << top), 1 << top))
        k.pages.add_flags(pfn, pfn + (count << top), "Buddy", refcount=0, mapping=None)
        return
    for i in range(count):
        _free_one(k, zone, pfn + (i << order), order)


def _free_one(k: Kernel, zone: Zone, pfn: int, order: int) -> None:
    start, end = pfn, pfn + (1 << order)
    while order < k.config.max_order - 1:
        buddy = pfn ^ (1 << order)
        if not zone.contains(buddy) or not zone.free_area[order].discard(buddy):
            break
        pfn = min(pfn, buddy)
        order += 1
    zone.free_area[order].add(pfn)
    k.pages.add_flags(start, end, "Buddy", refcount=0, mapping=None)


@kernel_function("__free_pages")
def free_pages(k: Kernel, pfn: int, order: int) -> None:
    """mm/page_alloc.c __free_pages(): drop the reference, give the block back."""
    k.call("free_one_page", pfn, order)


@kernel_function()
def adjust_managed_page_count(k: Kernel, pfn: int, count: int) -> None:
    """mm/page_alloc.c: zone->managed_pages and totalram_pages move together."""
    _zone(k, pfn).managed_pages += count
    k.totalram_pages += count


# --- allocating -------------------------------------------------------------------------


@kernel_function()
def alloc_pages_node(k: Kernel, nid: int, order: int, gfp: str = "kernel") -> int:
    """include/linux/gfp.h alloc_pages_node() -> __alloc_pages_nodemask(): the first zone
    of the zonelist (this node first, then the others) with a free block of at least
    `order` gives the lowest such block, split down as expand() does. -ENOMEM if none.
    gfp "movable" pages are user pages (migratable); "kernel" pages are not."""
    for zone in _zonelist(k, nid, gfp):
        for have in range(order, k.config.max_order):
            pfn = _first_free(k, zone, have)
            if pfn is not None:
                zone.free_area[have].discard(pfn)
                _expand(zone, pfn, order, have)
                _mark_allocated(k, pfn, order, gfp)
                return pfn
    raise KernelError("ENOMEM", f"no free order-{order} block on node {nid} or its fallbacks")


def _zonelist(k: Kernel, nid: int, gfp: str) -> list[Zone]:
    order = [nid] + [n for n in sorted(k.nodes) if n != nid]
    return [k.nodes[n].zones[z] for n in order for z in ZONELIST[gfp] if z in k.nodes[n].zones]


def _first_free(k: Kernel, zone: Zone, order: int) -> int | None:
    """The lowest free block of this order outside isolated pageblocks (MIGRATE_ISOLATE)."""
    for pfn in zone.free_area[order]:
        if not any(lo <= pfn < hi for lo, hi in k.isolated):
            return pfn
    return None


def _expand(zone: Zone, pfn: int, low: int, high: int) -> None:
    """mm/page_alloc.c expand(): the upper halves of a split block go back on lower lists."""
    while high > low:
        high -= 1
        zone.free_area[high].add(pfn + (1 << high))


def _mark_allocated(k: Kernel, pfn: int, order: int, gfp: str) -> None:
    """Out of the buddy: no PG_buddy, the head holds the one reference (not compound)."""
    mapping = "anon" if gfp == "movable" else None
    k.pages.clear_flags(pfn, pfn + (1 << order), "Buddy", refcount=0, mapping=mapping)
    k.pages.set(pfn, pfn + 1, refcount=1)
    k.order_allocations.append((order, pfn))


# --- hotplug side -----------------------------------------------------------------------


@kernel_function()
def memmap_init_zone(
    k: Kernel,
    size: int,
    nid: int,
    zone: str,
    start_pfn: int,
    context: str,
    altmap: VmemAltmap | None = None,
) -> None:
    """mm/page_alloc.c memmap_init_zone(): __init_single_page() on every struct page of the
    range (poison gone, refcount 1) and, for MEMMAP_HOTPLUG, SetPageReserved. The pages an
    altmap reserves for its driver are skipped."""
    end = start_pfn + size
    if altmap is not None and start_pfn == altmap.base_pfn:
        start_pfn += altmap.reserve
    flags = frozenset({"Reserved"}) if context == "hotplug" else frozenset()
    state = PageState(present=True, initialised=True, flags=flags, refcount=1, zone=zone)
    k.pages.change(start_pfn, end, lambda _: state)


@kernel_function("__offline_isolated_pages")
def offline_isolated_pages(k: Kernel, start_pfn: int, end_pfn: int) -> None:
    """mm/page_alloc.c __offline_isolated_pages(): take every free block of the isolated
    range off the free lists and mark its pages Reserved; a HWPoison page outside the buddy
    is only marked Reserved; anything else still in use is a BUG()."""
    k.call("offline_mem_sections", start_pfn, end_pfn)
    zone = _zone(k, start_pfn)
    for area in zone.free_area:
        area.take_range(start_pfn, end_pfn)
    for lo, _hi, state in list(struct_pages(k, start_pfn, end_pfn, "PageBuddy")):
        if "Buddy" not in state.flags and "HWPoison" not in state.flags and state.present:
            k.bug("kernel-bug", f"__offline_isolated_pages: pfn {lo:#x} in use (BUG_ON)")
    k.pages.add_flags(start_pfn, end_pfn, "Reserved")
    k.pages.clear_flags(start_pfn, end_pfn, "Buddy")


@kernel_function()
def offline_mem_sections(k: Kernel, start_pfn: int, end_pfn: int) -> None:
    """mm/sparse.c offline_mem_sections(): clear SECTION_IS_ONLINE."""
    _set_sections_online(k, start_pfn, end_pfn, False)


@kernel_function()
def online_mem_sections(k: Kernel, start_pfn: int, end_pfn: int) -> None:
    """mm/sparse.c online_mem_sections(): set SECTION_IS_ONLINE."""
    _set_sections_online(k, start_pfn, end_pfn, True)


def _set_sections_online(k: Kernel, start_pfn: int, end_pfn: int, online: bool) -> None:
    c = k.config
    for nr in range(c.section_nr(start_pfn), c.section_nr(end_pfn - 1) + 1):
        if nr in k.sections:
            k.sections[nr].online = online


@kernel_function()
def memory_failure(k: Kernel, pfn: int) -> None:
    """mm/memory-failure.c memory_failure() as of v5.0: the page gets PG_hwpoison; a free
    page stays on its free list (nothing took it off the buddy before v5.8). A pfn without
    a struct page is -ENXIO, which the machine-check handler only logs."""
    section = k.sections.get(k.config.section_nr(pfn))
    if section is None or not section.has_mem_map:
        return
    if "HWPoison" not in k.pages.get(pfn).flags:
        k.globals["num_poisoned_pages"] += 1
    k.pages.add_flags(pfn, pfn + 1, "HWPoison")


def _zone(k: Kernel, pfn: int) -> Zone:
    zone = k.zone_of(pfn)
    if zone is None:
        raise LookupError(f"pfn {pfn:#x} is in no zone")
    return zone
