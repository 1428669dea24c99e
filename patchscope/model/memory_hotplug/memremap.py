"""kernel/memremap.c: devm_memremap_pages(), the ZONE_DEVICE caller of memory hotplug,
v5.0 era, for a MEMORY_DEVICE_PRIVATE pagemap (the device-private memory HMM drivers add).

Unlike add_memory() it wants no memory block (no sysfs onlining), claims no System RAM and
never onlines its pages to the buddy: the range joins ZONE_DEVICE through
move_pfn_range_to_zone() and stays Reserved. A driver's vmem_altmap (pgmap->altmap) is what
move_pfn_range_to_zone() is given; for device-private memory v5.0 hands add_pages() NULL.
"""

from __future__ import annotations

from patchscope.model.memory_hotplug.kernel import (
    Kernel,
    KernelError,
    VmemAltmap,
    Zone,
    free_areas,
    kernel_function,
)

ZONE_DEVICE = "Device"


def section_aligned(k: Kernel, start: int, size: int) -> tuple[int, int]:
    """align_start/align_size: the resource widened to whole sections."""
    section = k.config.section_size
    align_start = start & ~(section - 1)
    align_end = -(-(start + size) // section) * section
    return align_start, align_end - align_start


def device_zone(k: Kernel, nid: int) -> Zone:
    """&NODE_DATA(nid)->node_zones[ZONE_DEVICE]; the model makes it on first use, as the
    boot zones it keeps are only those memory can be onlined into."""
    zones = k.nodes[nid].zones
    if ZONE_DEVICE not in zones:
        areas = free_areas(k.config.max_order)
        zones[ZONE_DEVICE] = Zone(ZONE_DEVICE, nid, free_area=areas)
    return zones[ZONE_DEVICE]


@kernel_function()
def devm_memremap_pages(
    k: Kernel, nid: int, start: int, size: int, altmap: VmemAltmap | None
) -> None:
    """kernel/memremap.c devm_memremap_pages() (MEMORY_DEVICE_PRIVATE): -ENXIO over System
    RAM; else under mem_hotplug_lock add_pages(NULL altmap, want_memblock false), then
    move_pfn_range_to_zone(ZONE_DEVICE, altmap). A failed add leaves its sections."""
    align_start, align_size = section_aligned(k, start, size)
    if any(r.start < align_start + align_size and align_start < r.end for r in k.iomem):
        raise KernelError("ENXIO", f"devm_memremap_pages attempted on ram region {start:#x}")
    k.record_hotplug(nid, align_start, align_size, memory_block_api=False, driver="devm")
    pfn, nr_pages = k.config.pfn(align_start), k.config.pfn(align_size)
    k.call("mem_hotplug_begin")
    try:
        k.call("add_pages", nid, pfn, nr_pages, None, False)
        k.call("move_pfn_range_to_zone", device_zone(k, nid), pfn, nr_pages, altmap)
    except KernelError:
        k.record_release(align_start, align_size)  # err_add_memory: the pgmap is dropped
        raise
    finally:
        k.call("mem_hotplug_done")


@kernel_function()
def devm_memremap_pages_release(k: Kernel, start: int, size: int) -> None:
    """kernel/memremap.c devm_memremap_pages_release() (MEMORY_DEVICE_PRIVATE):
    __remove_pages() on page_zone() of the first page, with a NULL altmap."""
    align_start, align_size = section_aligned(k, start, size)
    pfn = k.config.pfn(align_start)
    k.record_release(align_start, align_size)
    k.call("mem_hotplug_begin")
    try:
        k.call("__remove_pages", k.zone_of(pfn), pfn, k.config.pfn(align_size), None)
    finally:
        k.call("mem_hotplug_done")
