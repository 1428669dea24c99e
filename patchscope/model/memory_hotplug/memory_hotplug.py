"""mm/memory_hotplug.c, with the pieces of drivers/base/memory.c and kernel/resource.c it
calls: hot-add, online, offline and hot-remove of memory, v5.0 era."""

from __future__ import annotations

from operator import attrgetter

from patchscope.model.memory_hotplug.kernel import (
    Kernel,
    KernelError,
    MemoryBlock,
    Node,
    Resource,
    VmemAltmap,
    Zone,
    cut_resources,
    free_areas,
    kernel_function,
)
from patchscope.model.memory_hotplug.page_alloc import free_blocks, get_order
from patchscope.model.memory_hotplug.pages import struct_pages

# --- locking and resources --------------------------------------------------------------


@kernel_function()
def mem_hotplug_begin(k: Kernel) -> None:
    """mm/memory_hotplug.c mem_hotplug_begin(): take mem_hotplug_lock for writing; taking it
    twice is a deadlock."""
    if k.globals["mem_hotplug_lock"]:
        k.bug("kernel-bug", "mem_hotplug_begin() with mem_hotplug_lock held: deadlock")
    k.globals["mem_hotplug_lock"] = True


@kernel_function()
def mem_hotplug_done(k: Kernel) -> None:
    """mm/memory_hotplug.c mem_hotplug_done(): release mem_hotplug_lock."""
    k.globals["mem_hotplug_lock"] = False


@kernel_function()
def register_memory_resource(k: Kernel, start: int, size: int) -> Resource:
    """mm/memory_hotplug.c register_memory_resource(): claim "System RAM" in iomem;
    -EEXIST if any of it is claimed already."""
    res = Resource(start, start + size)
    if any(r.start < res.end and res.start < r.end for r in k.iomem):
        raise KernelError("EEXIST", f"System RAM {start:#x}-{start + size:#x} is busy")
    pieces = [res]
    for hole in k.holes:  # the firmware's description of the device leaves holes out
        pieces = cut_resources(pieces, hole)
    k.iomem = sorted(k.iomem + pieces, key=lambda r: r.start)
    return res


@kernel_function()
def release_mem_region_adjustable(k: Kernel, start: int, size: int) -> None:
    """kernel/resource.c release_mem_region_adjustable(): drop [start, start+size) from the
    System RAM resource that holds it, splitting it if need be."""
    k.iomem = cut_resources(k.iomem, Resource(start, start + size))


# --- hot-add ----------------------------------------------------------------------------


@kernel_function()
def add_memory(k: Kernel, nid: int, start: int, size: int, driver: str = "acpi") -> None:
    """mm/memory_hotplug.c add_memory(): what ACPI, Hyper-V and Xen call; they all want the
    memory-block API (the range is onlined through its sysfs memory blocks)."""
    k.record_hotplug(nid, start, size, memory_block_api=True, driver=driver)
    try:
        k.call("__add_memory", nid, start, size)
    except KernelError as err:
        # -EEXIST: the range is someone else's (an earlier add); nothing of it goes away
        if err.errno != "EEXIST":
            k.record_release(start, size)
        raise


@kernel_function("__add_memory")
def add_memory_locked(k: Kernel, nid: int, start: int, size: int) -> None:
    """mm/memory_hotplug.c __add_memory(): the resource first, released if the add fails."""
    res = k.call("register_memory_resource", start, size)
    try:
        k.call("add_memory_resource", nid, res)
    except KernelError:
        k.call("release_memory_resource", res)
        raise


@kernel_function()
def release_memory_resource(k: Kernel, res: Resource) -> None:
    """mm/memory_hotplug.c release_memory_resource()."""
    k.iomem = cut_resources(k.iomem, res)


@kernel_function()
def check_hotplug_memory_range(k: Kernel, start: int, size: int) -> None:
    """mm/memory_hotplug.c check_hotplug_memory_range() (v4.17+): start and size must be
    multiples of the memory block size, else -EINVAL."""
    block = k.config.pages_per_block
    start_pfn, nr_pages = k.config.pfn(start), k.config.pfn(size)
    if not nr_pages or start_pfn % block or nr_pages % block:
        raise KernelError(
            "EINVAL",
            f"range {start:#x}-{start + size:#x} not aligned to the memory block size "
            f"{k.config.memory_block_size:#x}",
        )


@kernel_function()
def add_memory_resource(k: Kernel, nid: int, res: Resource) -> None:
    """mm/memory_hotplug.c add_memory_resource(): check the range, then under
    mem_hotplug_lock bring the node up and call arch_add_memory() with no altmap and the
    memory-block API. A failure rolls back a new node only: sections already added stay."""
    start, size = res.start, res.end - res.start
    k.call("check_hotplug_memory_range", start, size)
    k.call("mem_hotplug_begin")
    new_node = nid not in k.nodes
    try:
        if new_node:
            k.call("hotadd_new_pgdat", nid, k.config.pfn(start))
        k.call("arch_add_memory", nid, start, size, None, True)
    except KernelError:
        if new_node and not any(s.nid == nid for s in k.sections.values()):
            del k.nodes[nid]  # rollback_node_hotadd(); kept while leaked sections use it
        raise
    finally:
        k.call("mem_hotplug_done")
    if k.globals["memhp_auto_online"]:
        first = k.config.section_nr(k.config.pfn(start)) // k.config.sections_per_block
        for block_id in range(first, first + size // k.config.memory_block_size):
            k.call("memory_block_action", block_id, "online", "kernel")


@kernel_function()
def hotadd_new_pgdat(k: Kernel, nid: int, start_pfn: int) -> None:
    """mm/memory_hotplug.c hotadd_new_pgdat(): an empty node, its zones empty."""
    nr = k.config.max_order
    zones = {name: Zone(name, nid, free_area=free_areas(nr)) for name in ("Normal", "Movable")}
    k.nodes[nid] = Node(nid, zones, start_pfn)


@kernel_function("__add_pages")
def add_pages_generic(
    k: Kernel,
    nid: int,
    phys_start_pfn: int,
    nr_pages: int,
    altmap: VmemAltmap | None,
    want_memblock: bool,
) -> None:
    """mm/memory_hotplug.c __add_pages(): one __add_section() per section; -EEXIST is
    ignored, the first other error stops the loop (added sections are not undone)."""
    c = k.config
    if altmap is not None:
        if altmap.base_pfn != phys_start_pfn or altmap.reserve + altmap.free > nr_pages:
            raise KernelError("EINVAL", "memory add fail, invalid altmap")
        altmap.alloc = 0
    for nr in range(c.section_nr(phys_start_pfn), c.section_nr(phys_start_pfn + nr_pages - 1) + 1):
        try:
            k.call("__add_section", nid, c.section_start_pfn(nr), altmap, want_memblock)
        except KernelError as err:
            if err.errno != "EEXIST":
                raise


@kernel_function("__add_section")
def add_section(
    k: Kernel, nid: int, phys_start_pfn: int, altmap: VmemAltmap | None, want_memblock: bool
) -> None:
    """mm/memory_hotplug.c __add_section(): -EEXIST for a valid pfn, else
    sparse_add_one_section() and, when wanted, the section's memory block."""
    nr = k.config.section_nr(phys_start_pfn)
    section = k.sections.get(nr)
    if section is not None and section.has_mem_map:
        raise KernelError("EEXIST", f"section {nr} exists")
    k.call("sparse_add_one_section", nid, phys_start_pfn, altmap)
    if want_memblock:
        k.call("hotplug_memory_register", nid, nr)


@kernel_function()
def hotplug_memory_register(k: Kernel, nid: int, section_nr: int) -> None:
    """drivers/base/memory.c hotplug_memory_register(): the section joins its memory block,
    which is created (offline) with its first section."""
    block_id = section_nr // k.config.sections_per_block
    block = k.memory_blocks.setdefault(block_id, MemoryBlock(block_id, nid))
    block.section_count += 1


@kernel_function()
def unregister_memory_section(k: Kernel, section_nr: int) -> None:
    """drivers/base/memory.c unregister_memory_section() -> remove_memory_section(): the
    block loses the section and goes with its last one; sections without a block (added
    without the memory-block API) are skipped."""
    block_id = section_nr // k.config.sections_per_block
    block = k.memory_blocks.get(block_id)
    if block is None:
        return
    block.section_count -= 1
    if block.section_count == 0:
        del k.memory_blocks[block_id]


# --- online -----------------------------------------------------------------------------


@kernel_function()
def memory_block_action(k: Kernel, block_id: int, action: str, online_type: str = "kernel") -> None:
    """drivers/base/memory.c memory_block_action() (via device_online/device_offline, the
    sysfs "state" file): online_pages() or offline_pages() over the whole block."""
    block = k.memory_blocks.get(block_id)
    if block is None:
        raise KernelError("EINVAL", f"no memory block {block_id}")
    if k.memory_block_state(block_id) == ("online" if action == "online" else "offline"):
        return
    start_pfn, nr_pages = block_id * k.config.pages_per_block, k.config.pages_per_block
    if action == "online":
        k.call("online_pages", start_pfn, nr_pages, online_type)
    else:
        k.call("offline_pages", start_pfn, nr_pages)


@kernel_function()
def zone_for_pfn_range(
    k: Kernel, online_type: str, nid: int, start_pfn: int, nr_pages: int
) -> Zone:
    """mm/memory_hotplug.c zone_for_pfn_range(): ZONE_MOVABLE for online_movable, else the
    node's kernel zone."""
    return k.nodes[nid].zones["Movable" if online_type == "movable" else "Normal"]


@kernel_function()
def online_pages(k: Kernel, pfn: int, nr_pages: int, online_type: str) -> None:
    """mm/memory_hotplug.c online_pages(): the range joins a zone (every struct page
    initialised), the System RAM parts of it are freed to the buddy, and present_pages grows
    by what was onlined."""
    _require_valid(k, pfn, pfn + nr_pages)
    k.call("mem_hotplug_begin")
    try:
        nid = k.sections[k.config.section_nr(pfn)].nid
        zone = k.call("zone_for_pfn_range", online_type, nid, pfn, nr_pages)
        k.call("move_pfn_range_to_zone", zone, pfn, nr_pages, None)
        onlined = [0]
        k.call("walk_system_ram_range", pfn, nr_pages, onlined, "online_pages_range")
        zone.present_pages += onlined[0]
        k.nodes[zone.nid].node_present_pages += onlined[0]
    finally:
        k.call("mem_hotplug_done")


@kernel_function()
def move_pfn_range_to_zone(
    k: Kernel, zone: Zone, start_pfn: int, nr_pages: int, altmap: VmemAltmap | None
) -> None:
    """mm/memory_hotplug.c move_pfn_range_to_zone(): grow the zone's and node's span over
    the range, then memmap_init_zone() initialises every struct page of it."""
    _grow_span(zone, start_pfn, nr_pages)
    node = k.nodes[zone.nid]
    lo = min(node.node_start_pfn, start_pfn) if node.node_spanned_pages else start_pfn
    hi = max(node.node_start_pfn + node.node_spanned_pages, start_pfn + nr_pages)
    node.node_start_pfn, node.node_spanned_pages = lo, hi - lo
    k.call("memmap_init_zone", nr_pages, zone.nid, zone.name, start_pfn, "hotplug", altmap)


def _grow_span(zone: Zone, start_pfn: int, nr_pages: int) -> None:
    """resize_zone_range(): the zone spans the hull of what it spanned and the range."""
    if not zone.spanned_pages:
        zone.zone_start_pfn, zone.spanned_pages = start_pfn, nr_pages
        return
    lo = min(zone.zone_start_pfn, start_pfn)
    hi = max(zone.zone_end_pfn, start_pfn + nr_pages)
    zone.zone_start_pfn, zone.spanned_pages = lo, hi - lo


_resource_start = attrgetter("start")


@kernel_function()
def walk_system_ram_range(
    k: Kernel, start_pfn: int, nr_pages: int, arg: list[int] | None, func: str
) -> int:
    """kernel/resource.c walk_system_ram_range(): call `func` on each stretch of
    [start_pfn, start_pfn+nr_pages) inside System RAM (holes are skipped); stop at the first
    non-zero return and pass it on."""
    shift = k.config.page_shift
    end_pfn = start_pfn + nr_pages
    for res in sorted(k.iomem, key=_resource_start):
        lo = -(-res.start >> shift)
        hi = res.end >> shift
        if lo < start_pfn:  # clipped to the range without max()/min(): 3 walks a section
            lo = start_pfn
        if hi > end_pfn:
            hi = end_pfn
        if hi > lo:
            ret: int = k.call(func, lo, hi - lo, arg)
            if ret:
                return ret
    return 0


@kernel_function()
def online_pages_range(k: Kernel, start_pfn: int, nr_pages: int, arg: list[int]) -> int:
    """mm/memory_hotplug.c online_pages_range(): free the stretch to the buddy if its first
    page is still Reserved (not onlined yet), count it, mark its sections online."""
    if k.call("PageReserved", start_pfn):
        arg[0] += k.call("online_pages_blocks", start_pfn, nr_pages)
    k.call("online_mem_sections", start_pfn, start_pfn + nr_pages)
    return 0


@kernel_function()
def online_pages_blocks(k: Kernel, start: int, nr_pages: int) -> int:
    """mm/memory_hotplug.c online_pages_blocks() (v5.0): blocks of order
    min(MAX_ORDER - 1, get_order(what is left)) from `start` on, each handed to
    online_page_callback. get_order() rounds up: a stretch that is not a multiple of the
    largest block frees its tail as one block reaching past the stretch, as v5.0 did."""
    top = k.config.max_order - 1
    end = start + nr_pages
    callback = k.globals["online_page_callback"]
    onlined = 0
    while start < end:
        order = min(top, get_order(end - start))
        count = (end - start) >> top if order == top else 1
        k.call(callback, start, order, count)
        onlined += count << order
        start += count << order
    return onlined


@kernel_function()
def generic_online_page(k: Kernel, pfn: int, order: int, count: int = 1) -> None:
    """mm/memory_hotplug.c generic_online_page(): __free_pages_core() and totalram_pages
    (`count` equal blocks in a row in one call)."""
    k.call("__free_pages_core", pfn, order, count)
    k.totalram_pages += count << order


@kernel_function("PageReserved")
def page_reserved(k: Kernel, pfn: int) -> bool:
    """include/linux/page-flags.h PageReserved(), poison-checked under DEBUG_VM_PGFLAGS."""
    return any("Reserved" in s.flags for _, _, s in struct_pages(k, pfn, pfn + 1, "PageReserved"))


def _require_valid(k: Kernel, start_pfn: int, end_pfn: int) -> None:
    """-EINVAL unless every section of the range has a memmap (pfn_valid()): the sysfs
    memory block a user onlines or offlines through exists only then."""
    c = k.config
    for nr in range(c.section_nr(start_pfn), c.section_nr(end_pfn - 1) + 1):
        section = k.sections.get(nr)
        if section is None or not section.has_mem_map:
            raise KernelError("EINVAL", f"pfn {start_pfn:#x}-{end_pfn:#x}: section {nr} not valid")


# --- offline ----------------------------------------------------------------------------


@kernel_function()
def offline_pages(k: Kernel, start_pfn: int, nr_pages: int) -> None:
    """mm/memory_hotplug.c offline_pages()."""
    k.call("__offline_pages", start_pfn, start_pfn + nr_pages)


@kernel_function("__offline_pages")
def offline_pages_locked(k: Kernel, start_pfn: int, end_pfn: int) -> None:
    """mm/memory_hotplug.c __offline_pages(): isolate, migrate what is in use, check every
    page is free, take the free pages out of the buddy; managed and present shrink by what
    check_pages_isolated_cb counted. The kernel retries migration until a signal comes;
    the model sends the signal (-EINTR) when a round makes no progress."""
    k.call("mem_hotplug_begin")
    try:
        zone = k.call("test_pages_in_a_zone", start_pfn, end_pfn)
        k.call("start_isolate_page_range", start_pfn, end_pfn, True)
        try:
            offlined = _migrate_and_check(k, start_pfn, end_pfn)
        except KernelError:
            k.call("undo_isolate_page_range", start_pfn, end_pfn)
            raise
        k.call("offline_isolated_pages", start_pfn, end_pfn)
        k.call("undo_isolate_page_range", start_pfn, end_pfn)
        k.call("adjust_managed_page_count", start_pfn, -offlined)
        zone.present_pages -= offlined
        k.nodes[zone.nid].node_present_pages -= offlined
    finally:
        k.call("mem_hotplug_done")


def _migrate_and_check(k: Kernel, start_pfn: int, end_pfn: int) -> int:
    """The do { migrate; check_pages_isolated } while (offlined < 0) loop of __offline_pages."""
    if k.call("scan_movable_pages", start_pfn, end_pfn) is not None:
        k.call("do_migrate_range", start_pfn, end_pfn)
        if k.call("scan_movable_pages", start_pfn, end_pfn) is not None:
            raise KernelError("EINTR", "pages could not be migrated; offline loops until a signal")
    offlined: int = k.call("check_pages_isolated", start_pfn, end_pfn)
    if offlined < 0:
        raise KernelError("EINTR", "pages stay busy after migration; offline loops until a signal")
    return offlined


@kernel_function()
def check_pages_isolated(k: Kernel, start_pfn: int, end_pfn: int) -> int:
    """mm/memory_hotplug.c check_pages_isolated() (base tree; 1/4 of the reference series
    removes it): the pages check_pages_isolated_cb counted over the System RAM of the range,
    or the negative errno that stopped the walk."""
    offlined = [0]
    ret: int = k.call(
        "walk_system_ram_range", start_pfn, end_pfn - start_pfn, offlined, "check_pages_isolated_cb"
    )
    return ret if ret < 0 else offlined[0]


@kernel_function()
def offline_isolated_pages(k: Kernel, start_pfn: int, end_pfn: int) -> None:
    """mm/memory_hotplug.c offline_isolated_pages() (base tree; removed by 1/4 of the
    reference series): offline_isolated_pages_cb over the System RAM of the range."""
    k.call(
        "walk_system_ram_range", start_pfn, end_pfn - start_pfn, None, "offline_isolated_pages_cb"
    )


@kernel_function()
def test_pages_in_a_zone(k: Kernel, start_pfn: int, end_pfn: int) -> Zone:
    """mm/memory_hotplug.c test_pages_in_a_zone(): the whole range valid (pfn_valid(), no
    struct page read) and in one zone (read through page_zone()); -EINVAL otherwise."""
    _require_valid(k, start_pfn, end_pfn)
    zone = None
    for lo, _hi, state in struct_pages(k, start_pfn, end_pfn, "page_zone"):
        here = k.zone_of(lo) if state.present else None
        if here is None or (zone is not None and here is not zone):
            raise KernelError("EINVAL", f"pfn {start_pfn:#x}-{end_pfn:#x}: multizone range")
        zone = here
    if zone is None:
        raise KernelError("EINVAL", f"pfn {start_pfn:#x}-{end_pfn:#x}: no valid pages")
    return zone


def _movable_runs(k: Kernel, start_pfn: int, end_pfn: int) -> list[tuple[int, int]]:
    return [
        (lo, hi)
        for lo, hi, s in k.pages.runs(start_pfn, end_pfn)
        if s.mapping == "anon" and "Buddy" not in s.flags and "HWPoison" not in s.flags
    ]


@kernel_function()
def scan_movable_pages(k: Kernel, start_pfn: int, end_pfn: int) -> int | None:
    """mm/memory_hotplug.c scan_movable_pages(): the first LRU (here "anon") page, if any."""
    runs = _movable_runs(k, start_pfn, end_pfn)
    return runs[0][0] if runs else None


@kernel_function()
def do_migrate_range(k: Kernel, start_pfn: int, end_pfn: int) -> None:
    """mm/memory_hotplug.c do_migrate_range(): each movable page gets a new page outside
    the isolated range (new_node_page) and the old one is freed; where no new page can be
    had, the page stays."""
    for lo, hi in _movable_runs(k, start_pfn, end_pfn):
        for pfn, order, count in free_blocks(lo, hi, k.config.max_order):
            for i in range(count):
                old = pfn + (i << order)
                try:
                    k.call(
                        "alloc_pages_node",
                        k.sections[k.config.section_nr(old)].nid,
                        order,
                        "movable",
                    )
                except KernelError:
                    return
                k.call("__free_pages", old, order)


@kernel_function()
def check_pages_isolated_cb(k: Kernel, start_pfn: int, nr_pages: int, arg: list[int]) -> int:
    """mm/memory_hotplug.c check_pages_isolated_cb() (base tree): count the whole stretch
    as offlined when test_pages_isolated() passes."""
    try:
        k.call("test_pages_isolated", start_pfn, start_pfn + nr_pages, True)
    except KernelError as err:
        return err.value
    arg[0] += nr_pages
    return 0


@kernel_function()
def offline_isolated_pages_cb(k: Kernel, start: int, nr_pages: int, arg: None) -> int:
    """mm/memory_hotplug.c offline_isolated_pages_cb() (base tree: its data is NULL)."""
    k.call("__offline_isolated_pages", start, start + nr_pages)
    return 0


# --- hot-remove -------------------------------------------------------------------------


@kernel_function()
def remove_memory(k: Kernel, nid: int, start: int, size: int) -> None:
    """mm/memory_hotplug.c remove_memory(): every memory block of the range must be offline
    (else BUG()), then under mem_hotplug_lock arch_remove_memory() and try_offline_node()."""
    if not k.config.memory_hotremove:
        raise KernelError("EINVAL", "remove_memory() needs CONFIG_MEMORY_HOTREMOVE")
    c = k.config
    # the callers' contract (ACPI removes only a device it added): not a kernel check
    _require_valid(k, c.pfn(start), c.pfn(start + size))
    first = c.section_nr(c.pfn(start)) // c.sections_per_block
    last = c.section_nr(c.pfn(start + size) - 1) // c.sections_per_block
    online = [
        b
        for b in range(first, last + 1)
        if b in k.memory_blocks and k.memory_block_state(b) == "online"
    ]
    if online:
        k.bug("kernel-bug", f"remove_memory(): memory block {online[0]} still online (BUG)")
        return
    k.record_release(start, size)
    k.call("mem_hotplug_begin")
    try:
        k.call("arch_remove_memory", nid, start, size, None)
        k.call("try_offline_node", nid)
    finally:
        k.call("mem_hotplug_done")


@kernel_function("__remove_pages")
def remove_pages(
    k: Kernel, zone: Zone | None, phys_start_pfn: int, nr_pages: int, altmap: VmemAltmap | None
) -> None:
    """mm/memory_hotplug.c __remove_pages(): release the range from iomem, then remove it
    section by section (whole sections only)."""
    c = k.config
    if phys_start_pfn % c.pages_per_section or nr_pages % c.pages_per_section:
        k.bug(
            "kernel-bug", f"__remove_pages({phys_start_pfn:#x}, {nr_pages:#x}): not whole sections"
        )
        return
    k.call(
        "release_mem_region_adjustable", phys_start_pfn << c.page_shift, nr_pages << c.page_shift
    )
    for i in range(nr_pages // c.pages_per_section):
        nr = c.section_nr(phys_start_pfn) + i
        k.call("__remove_section", zone, nr, 0, altmap)


@kernel_function("__remove_section")
def remove_section(
    k: Kernel, zone: Zone | None, section_nr: int, map_offset: int, altmap: VmemAltmap | None
) -> None:
    """mm/memory_hotplug.c __remove_section(): memory block, zone span, then the section's
    memmap; -EINVAL for a section that is not valid."""
    section = k.sections.get(section_nr)
    if section is None or not section.has_mem_map:
        raise KernelError("EINVAL", f"section {section_nr} is not valid")
    k.call("unregister_memory_section", section_nr)
    if zone is not None:
        k.call("__remove_zone", zone, k.config.section_start_pfn(section_nr))
    k.call("sparse_remove_one_section", section_nr, map_offset, altmap)


@kernel_function("__remove_zone")
def remove_zone(k: Kernel, zone: Zone, start_pfn: int) -> None:
    """mm/memory_hotplug.c __remove_zone() -> shrink_zone_span()/shrink_pgdat_span(): as the
    kernel does, only an edge section moves the span (find_smallest_section_pfn() and
    find_biggest_section_pfn() walk in from that edge); one from the middle leaves it, unless
    no valid section of the zone is left at all."""
    c = k.config
    gone = c.section_nr(start_pfn)

    def valid(nr: int) -> bool:
        s = k.sections.get(nr)
        pfn = c.section_start_pfn(nr)
        return (
            nr != gone
            and s is not None
            and s.has_mem_map
            and s.nid == zone.nid
            and zone.contains(pfn)
            and k.pages.get(pfn).zone == zone.name
        )

    if zone.spanned_pages:
        low, high = c.section_nr(zone.zone_start_pfn), c.section_nr(zone.zone_end_pfn - 1)
        first: int | None = low
        last: int | None = high
        if gone == low:
            first = next((nr for nr in range(gone + 1, high + 1) if valid(nr)), None)
        elif gone == high:
            last = next((nr for nr in range(gone - 1, low - 1, -1) if valid(nr)), None)
        elif not any(valid(nr) for nr in range(low, high + 1)):
            first = None
        if first is None or last is None:
            zone.zone_start_pfn = zone.spanned_pages = 0
        else:
            zone.zone_start_pfn = c.section_start_pfn(first)
            zone.spanned_pages = c.section_start_pfn(last + 1) - zone.zone_start_pfn
    node = k.nodes[zone.nid]
    spans = [(z.zone_start_pfn, z.zone_end_pfn) for z in node.zones.values() if z.spanned_pages]
    if spans:
        node.node_start_pfn = min(lo for lo, _ in spans)
        node.node_spanned_pages = max(hi for _, hi in spans) - node.node_start_pfn
    else:
        node.node_spanned_pages = 0


@kernel_function()
def try_offline_node(k: Kernel, nid: int) -> None:
    """mm/memory_hotplug.c try_offline_node(): in the trace only; the model keeps no
    node_states, and the pgdat stays, as the kernel keeps it."""
