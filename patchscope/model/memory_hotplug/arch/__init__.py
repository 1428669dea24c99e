"""The arch hooks of memory hotplug (arch_add_memory, vmemmap_populate, vmemmap_free,
arch_remove_memory), one module per arch, registered per arch with @kernel_function(arch=).

The vmemmap page-table walk they share is here: each arch maps the vmemmap with pages of
`config.vmemmap_page_size`, allocated only where nothing is mapped yet.
"""

from __future__ import annotations

from patchscope.model.memory_hotplug.kernel import Kernel, MemmapBlock, VmemAltmap


def vmemmap_indexes(k: Kernel, start: int, end: int) -> range:
    """The vmemmap pages (by index of their virtual address) that [start, end) touches."""
    shift = k.config.vmemmap_page_shift
    return range(start >> shift, ((end - 1) >> shift) + 1)


def populate_vmemmap(k: Kernel, start: int, end: int, nid: int, altmap: VmemAltmap | None) -> None:
    """Map every unmapped vmemmap page of [start, end), backed by the altmap when one is
    given (-ENOMEM when it runs out, no fallback) or by one block from the node."""
    order = k.config.vmemmap_page_order
    for index in vmemmap_indexes(k, start, end):
        if index in k.vmemmap:
            continue  # vmemmap_verify(): already mapped by an earlier section
        block: MemmapBlock
        if altmap is not None:
            block = k.call("altmap_alloc_block_buf", nid, order, altmap)
        else:
            block = k.call("vmemmap_alloc_block_buf", nid, order)
        k.vmemmap[index] = block


def free_vmemmap(
    k: Kernel, start: int, end: int, altmap: VmemAltmap | None, *, shared: bool
) -> None:
    """Unmap the vmemmap pages of [start, end) and free what backs them. A `shared` vmemmap
    page (one that holds the memmap of several sections) is kept while any of those
    sections is still valid, as ppc64's vmemmap_populated() check does."""
    for index in vmemmap_indexes(k, start, end):
        block = k.vmemmap.get(index)
        if block is None or (shared and _still_used(k, index)):
            continue
        del k.vmemmap[index]
        k.helper("free_memmap_block", block, altmap)


def _still_used(k: Kernel, index: int) -> bool:
    c = k.config
    first_pfn = ((index << c.vmemmap_page_shift) - c.vmemmap_start) // c.struct_page_size
    pfns = c.vmemmap_page_size // c.struct_page_size
    first, last = c.section_nr(first_pfn), c.section_nr(first_pfn + pfns - 1)
    return any(
        (s := k.sections.get(nr)) is not None and s.has_mem_map for nr in range(first, last + 1)
    )
