"""The arithmetic behind the observables, against numbers worked out by hand."""

from __future__ import annotations

from dataclasses import dataclass

from patchscope.model.memory_hotplug.observe import (
    gigantic_ranges,
    hex_address,
    memmap_pages,
    memmap_va_range,
    page_va,
    sections_spanned,
    vmemmap_pages_for,
)


@dataclass(frozen=True)
class X86:
    page_shift: int = 12
    section_size_bits: int = 27
    struct_page_size: int = 64
    vmemmap_start: int = 0xFFFFEA0000000000


@dataclass(frozen=True)
class Ppc64:
    page_shift: int = 16
    section_size_bits: int = 24
    struct_page_size: int = 64
    vmemmap_start: int = 0xF000000000000000


G = 1 << 30


def test_sections_count_partial_ones() -> None:
    assert sections_spanned(X86(), 4 * G, 2 * G) == 16
    assert sections_spanned(X86(), 4 * G + (64 << 20), 128 << 20) == 2  # straddles two
    assert sections_spanned(X86(), 4 * G, 0) == 0
    assert sections_spanned(Ppc64(), 16 * G, G) == 64


def test_struct_page_addresses() -> None:
    assert page_va(X86(), 0x100000) == 0xFFFFEA0000000000 + 0x100000 * 64
    first, end = memmap_va_range(X86(), 0x100000, 8192)
    assert end - first == 8192 * 64
    assert hex_address(first) == "0xffffea0004000000"


def test_memmap_pages_round_up() -> None:
    assert memmap_pages(X86(), 32768) == 512  # ~2 MiB per 128 MiB section
    assert memmap_pages(Ppc64(), 256) == 1  # 16 KiB of struct pages in one 64 KiB page
    assert vmemmap_pages_for(Ppc64(), 16 * G, G) == G // (64 << 10) * 64 // (64 << 10)


def test_gigantic_ranges_need_alignment_and_contiguity() -> None:
    per = G >> 12
    runs = [(per + 10, 3 * per), (3 * per, 4 * per)]
    assert gigantic_ranges(runs, X86(), G) == 2  # [2 per, 3 per) and [3 per, 4 per)
    assert gigantic_ranges([(per + 1, 2 * per + 1)], X86(), G) == 0
