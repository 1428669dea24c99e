"""arch/powerpc/mm/mem.c and arch/powerpc/mm/init_64.c (book3s64, hash MMU, 64K pages)."""

from __future__ import annotations

from patchscope.model.memory_hotplug.arch import free_vmemmap, populate_vmemmap
from patchscope.model.memory_hotplug.arch.x86_64 import remove_pages_of_zone
from patchscope.model.memory_hotplug.kernel import Kernel, VmemAltmap, kernel_function


@kernel_function(arch="ppc64")
def arch_add_memory(
    k: Kernel, nid: int, start: int, size: int, altmap: VmemAltmap | None, want_memblock: bool
) -> None:
    """arch/powerpc/mm/mem.c arch_add_memory(): bolt the linear mapping
    (create_section_mapping), then __add_pages()."""
    c = k.config
    k.call("__add_pages", nid, c.pfn(start), c.pfn(size), altmap, want_memblock)


@kernel_function(arch="ppc64")
def vmemmap_populate(k: Kernel, start: int, end: int, nid: int, altmap: VmemAltmap | None) -> None:
    """arch/powerpc/mm/init_64.c vmemmap_populate(): vmemmap mapped with 16 MiB pages; each
    is one order-8 allocation of 64K pages, made only when that 16 MiB (the memmap of
    16 GiB) is first populated, and -ENOMEM when no free order-8 block exists."""
    populate_vmemmap(k, start, end, nid, altmap)


@kernel_function(arch="ppc64")
def vmemmap_free(k: Kernel, start: int, end: int, altmap: VmemAltmap | None) -> None:
    """arch/powerpc/mm/init_64.c vmemmap_free(): a 16 MiB vmemmap page is freed only once no
    section whose memmap it holds is valid any more (vmemmap_populated())."""
    free_vmemmap(k, start, end, altmap, shared=True)


@kernel_function(arch="ppc64")
def arch_remove_memory(
    k: Kernel, nid: int, start: int, size: int, altmap: VmemAltmap | None
) -> None:
    """arch/powerpc/mm/mem.c arch_remove_memory(): __remove_pages() on the first page's
    zone, then remove_section_mapping()."""
    remove_pages_of_zone(k, start, size, altmap)
