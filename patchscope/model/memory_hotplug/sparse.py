"""mm/sparse.c and mm/sparse-vmemmap.c: sections, their memmap and usemap."""

from __future__ import annotations

from patchscope.model.memory_hotplug.kernel import (
    Kernel,
    KernelError,
    MemmapBlock,
    MemSection,
    VmemAltmap,
    kernel_function,
    model_helper,
)
from patchscope.model.memory_hotplug.page_alloc import get_order
from patchscope.model.memory_hotplug.pages import ABSENT, PageState, struct_pages

_ZEROED = PageState(present=True)  # new memmap comes zeroed
_POISONED = PageState(present=True, poisoned=True)  # made once: every section sets them


@kernel_function()
def sparse_add_one_section(
    k: Kernel, nid: int, start_pfn: int, altmap: VmemAltmap | None = None
) -> None:
    """mm/sparse.c sparse_add_one_section(): memmap and usemap for one new section, the
    memmap poisoned, the section marked present. -EEXIST if it already is."""
    c = k.config  # once: a series may pass a kernel whose every attribute is a lookup
    nr = c.section_nr(start_pfn)
    mem_map = k.call("kmalloc_section_memmap", nr, nid, altmap)
    section = k.sections.get(nr)
    if section is not None and section.present:
        if mem_map is None:
            k.call("__kfree_section_memmap", nr, altmap)
        else:
            k.helper("free_memmap_block", mem_map, altmap)
        raise KernelError("EEXIST", f"section {nr} is already present")
    section = k.sections[nr] = MemSection(nr, nid, usemap=True, mem_map=mem_map)
    k.pages.change(start_pfn, start_pfn + c.pages_per_section, lambda _: _ZEROED)
    k.call("page_init_poison", start_pfn, c.pages_per_section)
    section.has_mem_map = True


@kernel_function()
def kmalloc_section_memmap(
    k: Kernel, nr: int, nid: int, altmap: VmemAltmap | None
) -> MemmapBlock | None:
    """mm/sparse.c: with SPARSEMEM_VMEMMAP the memmap is mapped into the vmemmap
    (sparse_mem_map_populate, None returned: the vmemmap table holds it); without, it is
    allocated whole (__kmalloc_section_memmap) and returned."""
    if k.config.sparsemem_vmemmap:
        k.call("sparse_mem_map_populate", nr, nid, altmap)
        return None
    order = get_order(k.config.memmap_pages_per_section)
    return MemmapBlock(nid, k.call("alloc_pages_node", nid, order), order, altmap=False)


@kernel_function()
def sparse_mem_map_populate(k: Kernel, nr: int, nid: int, altmap: VmemAltmap | None) -> int:
    """mm/sparse-vmemmap.c: map the struct pages of section `nr`; returns their address."""
    c = k.config
    start = c.page_va(c.section_start_pfn(nr))
    end = start + c.pages_per_section * c.struct_page_size
    k.call("vmemmap_populate", start, end, nid, altmap)
    return start


@kernel_function()
def vmemmap_alloc_block_buf(k: Kernel, nid: int, order: int) -> MemmapBlock:
    """mm/sparse-vmemmap.c vmemmap_alloc_block_buf(): one block from the node's buddy
    (alloc_pages_node falls back to other nodes, as without __GFP_THISNODE)."""
    return MemmapBlock(nid, k.call("alloc_pages_node", nid, order), order, altmap=False)


@kernel_function()
def altmap_alloc_block_buf(k: Kernel, nid: int, order: int, altmap: VmemAltmap) -> MemmapBlock:
    """mm/sparse-vmemmap.c altmap_alloc_block_buf() -> vmem_altmap_alloc(): the next pfns
    of the altmap, aligned to the block's own size; -ENOMEM when the altmap runs out."""
    nr_pfns = 1 << order
    pfn = altmap.base_pfn + altmap.reserve + altmap.alloc + altmap.align
    nr_align = -pfn % nr_pfns
    if nr_pfns + nr_align > altmap.free - altmap.alloc - altmap.align:
        raise KernelError(
            "ENOMEM", f"altmap at pfn {altmap.base_pfn:#x} has no {nr_pfns} pages left"
        )
    altmap.alloc += nr_pfns
    altmap.align += nr_align
    return MemmapBlock(nid, pfn + nr_align, order, altmap=True)


@kernel_function()
def vmem_altmap_free(k: Kernel, altmap: VmemAltmap, nr_pfns: int) -> None:
    """kernel/memremap.c vmem_altmap_free(): give pages back to the altmap."""
    altmap.alloc -= nr_pfns


@kernel_function()
def page_init_poison(k: Kernel, start_pfn: int, nr_pages: int) -> None:
    """mm/debug.c page_init_poison(): with CONFIG_DEBUG_VM the new memmap is filled with
    0xff, so a struct page read before memmap_init_zone() initialised it is caught."""
    if not k.config.debug_vm:
        return
    if not k.memmap_mapped(start_pfn, start_pfn + nr_pages):
        k.bug(
            "memmap-use-after-free", f"page_init_poison() on unmapped memmap at pfn {start_pfn:#x}"
        )
    k.pages.change(start_pfn, start_pfn + nr_pages, lambda _: _POISONED)


@kernel_function()
def sparse_remove_one_section(
    k: Kernel, nr: int, map_offset: int, altmap: VmemAltmap | None = None
) -> None:
    """mm/sparse.c sparse_remove_one_section(): the section stops being valid first, then
    its hwpoison marks are cleared and its memmap and usemap freed."""
    section = k.sections[nr]
    section.present = section.has_mem_map = False
    c = k.config
    start = c.section_start_pfn(nr)
    k.call("clear_hwpoisoned_pages", start + map_offset, c.pages_per_section - map_offset)
    k.call("free_section_usemap", nr, altmap)
    del k.sections[nr]
    k.pages.change(start, start + c.pages_per_section, lambda _: ABSENT)


@kernel_function()
def clear_hwpoisoned_pages(k: Kernel, start_pfn: int, nr_pages: int) -> None:
    """mm/sparse.c clear_hwpoisoned_pages(): forget the section's poisoned pages in the
    num_poisoned_pages count (it reads every struct page, but only if any page is poisoned)."""
    if not k.globals["num_poisoned_pages"]:
        return
    end = start_pfn + nr_pages
    poisoned = sum(
        hi - lo
        for lo, hi, s in struct_pages(k, start_pfn, end, "PageHWPoison")
        if "HWPoison" in s.flags
    )
    k.globals["num_poisoned_pages"] -= poisoned
    k.pages.clear_flags(start_pfn, end, "HWPoison")


@kernel_function()
def free_section_usemap(k: Kernel, nr: int, altmap: VmemAltmap | None) -> None:
    """mm/sparse.c free_section_usemap(): kfree the usemap, free the memmap."""
    k.sections[nr].usemap = False
    k.call("__kfree_section_memmap", nr, altmap)


@kernel_function("__kfree_section_memmap")
def kfree_section_memmap(k: Kernel, nr: int, altmap: VmemAltmap | None) -> None:
    """mm/sparse.c __kfree_section_memmap(): vmemmap_free() over the section's struct pages,
    or free_pages() of a !VMEMMAP mem_map."""
    c = k.config
    if c.sparsemem_vmemmap:
        start = c.page_va(c.section_start_pfn(nr))
        k.call("vmemmap_free", start, start + c.pages_per_section * c.struct_page_size, altmap)
        return
    section = k.sections[nr]
    if section.mem_map is not None:
        block, section.mem_map = section.mem_map, None
        k.helper("free_memmap_block", block, altmap)


@model_helper
def free_memmap_block(k: Kernel, block: MemmapBlock, altmap: VmemAltmap | None) -> None:
    """No kernel function of this name (so no trace entry): arch/x86/mm/init_64.c
    free_hugepage_table() and free_pagetable(), as one step. Memmap pages go back where they
    came from: to the altmap, to the buddy (__free_pages), or, boot memmap (PageReserved),
    through free_reserved_page(), which counts them as managed again. ppc64's
    vmemmap_free() and a !VMEMMAP __kfree_section_memmap() free the same three ways."""
    if block.altmap:
        if altmap is not None:
            k.call("vmem_altmap_free", altmap, 1 << block.order)
        return
    reserved = "Reserved" in k.pages.get(block.pfn).flags
    if reserved:
        k.call("__free_pages_core", block.pfn, block.order)
        k.totalram_pages += 1 << block.order
    else:
        k.call("__free_pages", block.pfn, block.order)
