"""Build configuration of the modelled kernel: the arch's constants and the CONFIG_ switches.

Numbers are the v5.0-era kernel's (see design.md, "kernel facts"); everything else the model
reports is computed from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from patchscope.errors import PatchscopeError

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
TiB = 1 << 40


class ModelInputError(PatchscopeError):
    """A size, an address or a configuration the model cannot be built from."""


@dataclass(frozen=True)
class Config:
    arch: str
    page_shift: int
    section_size_bits: int
    vmemmap_start: int
    memory_block_size: int
    # the vmemmap is mapped with pages of this size (PMD on x86_64/arm64, 16M on ppc64 hash)
    vmemmap_page_shift: int
    boot_memory_end: int = 4 * GiB
    struct_page_size: int = 64
    sparsemem_vmemmap: bool = True
    debug_vm: bool = True
    debug_vm_pgflags: bool = True
    memory_hotremove: bool = True
    max_order: int = 11
    pageblock_order: int = 9
    nr_nodes: int = 1
    # boot memory below low_zone_end lives in ZONE_DMA32 (x86_64, arm64) or ZONE_DMA (s390)
    low_zone: str | None = None
    low_zone_end: int = 0

    @cached_property
    def page_size(self) -> int:
        return 1 << self.page_shift

    @cached_property
    def section_size(self) -> int:
        return 1 << self.section_size_bits

    @cached_property
    def pfn_section_shift(self) -> int:
        return self.section_size_bits - self.page_shift

    @cached_property
    def pages_per_section(self) -> int:
        return 1 << self.pfn_section_shift

    @cached_property
    def pages_per_block(self) -> int:
        return self.memory_block_size >> self.page_shift

    @cached_property
    def sections_per_block(self) -> int:
        return self.memory_block_size // self.section_size

    @cached_property
    def memmap_pages_per_section(self) -> int:
        """Pages of struct page one section needs (rounded up to whole pages)."""
        return -(-self.pages_per_section * self.struct_page_size // self.page_size)

    @cached_property
    def vmemmap_page_size(self) -> int:
        return 1 << self.vmemmap_page_shift

    @cached_property
    def vmemmap_page_order(self) -> int:
        """Buddy order of one vmemmap mapping's backing allocation."""
        return self.vmemmap_page_shift - self.page_shift

    @cached_property
    def pageblock_nr_pages(self) -> int:
        return 1 << self.pageblock_order

    @cached_property
    def max_order_nr_pages(self) -> int:
        return 1 << (self.max_order - 1)

    def pfn(self, addr: int) -> int:
        return addr >> self.page_shift

    def section_nr(self, pfn: int) -> int:
        return pfn >> self.pfn_section_shift

    def section_start_pfn(self, nr: int) -> int:
        return nr << self.pfn_section_shift

    def page_va(self, pfn: int) -> int:
        """pfn_to_page() under SPARSEMEM_VMEMMAP: vmemmap + pfn."""
        return self.vmemmap_start + pfn * self.struct_page_size


_ARCH_DEFAULTS: dict[str, dict[str, Any]] = {
    # arch/x86/include/asm/sparsemem.h, pgtable_64_types.h; block size probed (arch/x86_64.py)
    "x86_64": dict(
        page_shift=12,
        section_size_bits=27,
        vmemmap_start=0xFFFFEA0000000000,
        vmemmap_page_shift=21,
        pageblock_order=9,
        low_zone="DMA32",
        low_zone_end=4 * GiB,
    ),
    # book3s64 hash MMU with 64K pages: 16M vmemmap pages, FORCE_MAX_ZONEORDER 9,
    # pageblock = HUGETLB_PAGE_ORDER (16M); pseries LMBs of 256M are its memory blocks
    "ppc64": dict(
        page_shift=16,
        section_size_bits=24,
        vmemmap_start=0xF000000000000000,
        vmemmap_page_shift=24,
        memory_block_size=256 * MiB,
        max_order=9,
        pageblock_order=8,
    ),
    # s390: one memory block per 256M section; vmemmap backed by 1M segment frames (EDAT1);
    # vmemmap_start is laid out at boot there, this is one fixed choice of it
    "s390": dict(
        page_shift=12,
        section_size_bits=28,
        vmemmap_start=0x0000040000000000,
        vmemmap_page_shift=20,
        memory_block_size=256 * MiB,
        pageblock_order=8,
        low_zone="DMA",
        low_zone_end=2 * GiB,
    ),
    # arm64, 4K pages, 48-bit VA: VMEMMAP_START = PAGE_OFFSET - VMEMMAP_SIZE; PMD-mapped vmemmap
    "arm64": dict(
        page_shift=12,
        section_size_bits=30,
        vmemmap_start=0xFFFF7E0000000000,
        vmemmap_page_shift=21,
        memory_block_size=1 * GiB,
        pageblock_order=9,
        memory_hotremove=False,
        low_zone="DMA32",
        low_zone_end=4 * GiB,
    ),
}

ARCHES: tuple[str, ...] = tuple(_ARCH_DEFAULTS)


def config_for(arch: str, **overrides: Any) -> Config:
    """The arch's defaults with the given fields replaced; x86_64 probes its block size."""
    if arch not in _ARCH_DEFAULTS:
        raise ModelInputError(f"unknown arch {arch!r} (known: {', '.join(ARCHES)})")
    fields = {**_ARCH_DEFAULTS[arch], **overrides}
    if "memory_block_size" not in fields:
        # imported here: arch/x86_64.py needs the kernel, which needs this module
        from patchscope.model.memory_hotplug.arch.x86_64 import probe_memory_block_size

        fields["memory_block_size"] = probe_memory_block_size(
            fields.get("boot_memory_end", 4 * GiB)
        )
    config = Config(arch=arch, **fields)
    _validate(config)
    return config


def _validate(config: Config) -> None:
    """Reject a configuration the kernel could not have been built or booted with."""
    if config.memory_block_size % config.section_size:
        raise ModelInputError(
            f"memory block size {config.memory_block_size:#x} is not a multiple of the "
            f"section size {config.section_size:#x}"
        )
    if config.boot_memory_end % config.section_size:
        raise ModelInputError(f"boot memory end {config.boot_memory_end:#x} is not section-aligned")
    if config.nr_nodes < 1:
        raise ModelInputError("nr_nodes must be at least 1")


def with_overrides(config: Config, **changes: Any) -> Config:
    """A copy with some fields changed, validated like config_for()."""
    changed = replace(config, **changes)
    _validate(changed)
    return changed


_SUFFIX = {"": 1, "K": KiB, "M": MiB, "G": GiB, "T": TiB}
_SIZE = re.compile(r"(?P<num>\d+)\s*(?P<suffix>[KMGT]?)(?:I?B)?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from the forms the CLI accepts: 4G, 128M, 2GiB, 0x100000000, 4096."""
    text = text.strip()
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
        return int(text, 16)
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ModelInputError(f"bad size or address {text!r} (try 4G, 128M, 0x100000000)")
    return int(match["num"]) * _SUFFIX[match["suffix"].upper()]
