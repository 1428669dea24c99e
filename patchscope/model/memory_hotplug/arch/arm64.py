"""arch/arm64/mm/mmu.c (4K pages, 48-bit VA; hotplug added in v5.0, hot-remove later)."""

from __future__ import annotations

from patchscope.model.memory_hotplug.arch import populate_vmemmap
from patchscope.model.memory_hotplug.kernel import Kernel, VmemAltmap, kernel_function


@kernel_function(arch="arm64")
def arch_add_memory(
    k: Kernel, nid: int, start: int, size: int, altmap: VmemAltmap | None, want_memblock: bool
) -> None:
    """arch/arm64/mm/mmu.c arch_add_memory(): __create_pgd_mapping(), then __add_pages()."""
    c = k.config
    k.call("__add_pages", nid, c.pfn(start), c.pfn(size), altmap, want_memblock)


@kernel_function(arch="arm64")
def vmemmap_populate(k: Kernel, start: int, end: int, nid: int, altmap: VmemAltmap | None) -> None:
    """arch/arm64/mm/mmu.c vmemmap_populate(): PMD section maps from the node; v5.0 ignores
    the altmap."""
    populate_vmemmap(k, start, end, nid, None)


@kernel_function(arch="arm64")
def vmemmap_free(k: Kernel, start: int, end: int, altmap: VmemAltmap | None) -> None:
    """arch/arm64/mm/mmu.c vmemmap_free(): empty in v5.0."""
