"""arch/x86/mm/init_64.c and arch/x86/mm/init.c (x86_64, 4-level paging)."""

from __future__ import annotations

from patchscope.model.memory_hotplug.arch import free_vmemmap, populate_vmemmap
from patchscope.model.memory_hotplug.kernel import Kernel, VmemAltmap, kernel_function

GiB = 1 << 30
MIN_MEMORY_BLOCK_SIZE = 128 << 20  # 1 << SECTION_SIZE_BITS
MAX_BLOCK_SIZE = 2 * GiB


def probe_memory_block_size(boot_mem_end: int) -> int:
    """arch/x86/mm/init_64.c probe_memory_block_size(): below 64 GiB of boot memory the
    section size; from 64 GiB up, the largest power of two up to 2 GiB that divides the end
    of boot memory."""
    if boot_mem_end < 64 * GiB:
        return MIN_MEMORY_BLOCK_SIZE
    size = MAX_BLOCK_SIZE
    while size > MIN_MEMORY_BLOCK_SIZE and boot_mem_end % size:
        size >>= 1
    return size


@kernel_function(arch="x86_64")
def arch_add_memory(
    k: Kernel, nid: int, start: int, size: int, altmap: VmemAltmap | None, want_memblock: bool
) -> None:
    """arch/x86/mm/init_64.c arch_add_memory(): direct map, then add_pages()."""
    c = k.config
    k.call("add_pages", nid, c.pfn(start), c.pfn(size), altmap, want_memblock)


@kernel_function(arch="x86_64")
def add_pages(
    k: Kernel,
    nid: int,
    start_pfn: int,
    nr_pages: int,
    altmap: VmemAltmap | None,
    want_memblock: bool,
) -> None:
    """arch/x86/mm/init_64.c add_pages(): __add_pages(), then update_end_of_memory_vars()
    raises max_pfn (it never comes down again)."""
    k.call("__add_pages", nid, start_pfn, nr_pages, altmap, want_memblock)
    k.max_pfn = max(k.max_pfn, start_pfn + nr_pages)


@kernel_function(arch="x86_64")
def vmemmap_populate(k: Kernel, start: int, end: int, nid: int, altmap: VmemAltmap | None) -> None:
    """arch/x86/mm/init_64.c vmemmap_populate() -> vmemmap_populate_hugepages(): one 2 MiB
    PMD per section's memmap, from the altmap when given, else from the node. (The base-page
    fallback for a node with no free 2 MiB block is not modelled: that is -ENOMEM here.)"""
    populate_vmemmap(k, start, end, nid, altmap)


@kernel_function(arch="x86_64")
def vmemmap_free(k: Kernel, start: int, end: int, altmap: VmemAltmap | None) -> None:
    """arch/x86/mm/init_64.c vmemmap_free() -> remove_pagetable(): each fully covered PMD
    is unmapped and its 2 MiB freed (to the altmap, or free_pagetable())."""
    free_vmemmap(k, start, end, altmap, shared=False)


@kernel_function(arch="x86_64")
def arch_remove_memory(
    k: Kernel, nid: int, start: int, size: int, altmap: VmemAltmap | None
) -> None:
    """arch/x86/mm/init_64.c arch_remove_memory(): __remove_pages() on page_zone() of the
    first page (past the altmap's own pages), then the direct map goes."""
    remove_pages_of_zone(k, start, size, altmap)


def remove_pages_of_zone(k: Kernel, start: int, size: int, altmap: VmemAltmap | None) -> None:
    """page_zone(pfn_to_page(start)) then __remove_pages(), as x86_64 and ppc64 do.

    page_zone() reads the page's flags through page_to_nid(), whose PF_POISONED_CHECK fires
    on a struct page nobody initialised (memory added but never onlined)."""
    from patchscope.model.memory_hotplug.pages import struct_pages

    c = k.config
    pfn = c.pfn(start)
    if altmap is not None:
        pfn += altmap.reserve + altmap.free
    list(struct_pages(k, pfn, pfn + 1, "page_zone"))
    zone = k.zone_of(pfn)
    k.call("__remove_pages", zone, c.pfn(start), c.pfn(size), altmap)
