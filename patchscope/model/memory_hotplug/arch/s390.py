"""arch/s390/mm/init.c and arch/s390/mm/vmem.c."""

from __future__ import annotations

from patchscope.model.memory_hotplug.arch import populate_vmemmap
from patchscope.model.memory_hotplug.kernel import Kernel, VmemAltmap, kernel_function


@kernel_function(arch="s390")
def arch_add_memory(
    k: Kernel, nid: int, start: int, size: int, altmap: VmemAltmap | None, want_memblock: bool
) -> None:
    """arch/s390/mm/init.c arch_add_memory(): vmem_add_mapping(), then __add_pages().
    Standby memory is only accessible once onlined, so nothing of the range can hold its
    own memmap at add time."""
    c = k.config
    k.call("__add_pages", nid, c.pfn(start), c.pfn(size), altmap, want_memblock)


@kernel_function(arch="s390")
def vmemmap_populate(k: Kernel, start: int, end: int, nid: int, altmap: VmemAltmap | None) -> None:
    """arch/s390/mm/vmem.c vmemmap_populate(): 1 MiB segment frames from the node (EDAT1);
    the altmap argument is ignored."""
    populate_vmemmap(k, start, end, nid, None)


@kernel_function(arch="s390")
def vmemmap_free(k: Kernel, start: int, end: int, altmap: VmemAltmap | None) -> None:
    """arch/s390/mm/vmem.c vmemmap_free(): empty in v5.0; the mapping stays."""


@kernel_function(arch="s390")
def arch_remove_memory(
    k: Kernel, nid: int, start: int, size: int, altmap: VmemAltmap | None
) -> None:
    """arch/s390/mm/init.c arch_remove_memory(): BUG(); no interface removes memory on s390."""
    k.bug("kernel-bug", "arch_remove_memory() on s390 is BUG()")
