"""Config: each arch's constants from design.md, derived values, sizes as the CLI writes them."""

import pytest

from patchscope.errors import PatchscopeError
from patchscope.model.memory_hotplug.arch.x86_64 import probe_memory_block_size
from patchscope.model.memory_hotplug.config import config_for, parse_size

GiB = 1 << 30
MiB = 1 << 20


@pytest.mark.parametrize(
    ("arch", "page_size", "section_size"),
    [
        ("x86_64", 4096, 128 * MiB),
        ("ppc64", 65536, 16 * MiB),
        ("s390", 4096, 256 * MiB),
        ("arm64", 4096, 1 * GiB),
    ],
)
def test_arch_geometry(arch: str, page_size: int, section_size: int) -> None:
    c = config_for(arch)
    assert (c.page_size, c.section_size) == (page_size, section_size)
    assert c.pages_per_section == section_size // page_size
    memmap_bytes = section_size // page_size * 64  # sizeof(struct page) per page
    assert c.memmap_pages_per_section == max(1, memmap_bytes // page_size)


def test_x86_64_struct_page_address() -> None:
    c = config_for("x86_64")
    assert c.page_va(4 * GiB // 4096) == 0xFFFFEA0000000000 + (4 * GiB // 4096) * 64
    assert c.vmemmap_page_size == 2 * MiB  # one PMD holds one section's 2 MiB of memmap
    assert c.memmap_pages_per_section * c.page_size == c.vmemmap_page_size


@pytest.mark.parametrize(
    ("boot_end", "expected"),
    [
        (4 * GiB, 128 * MiB),
        (63 * GiB, 128 * MiB),
        (64 * GiB, 2 * GiB),
        (66 * GiB, 2 * GiB),
        (65 * GiB, 1 * GiB),
        (64 * GiB + 512 * MiB, 512 * MiB),
        (64 * GiB + 128 * MiB, 128 * MiB),
    ],
)
def test_probe_memory_block_size(boot_end: int, expected: int) -> None:
    assert probe_memory_block_size(boot_end) == expected
    assert config_for("x86_64", boot_memory_end=boot_end).memory_block_size == expected


def test_overrides_and_validation() -> None:
    assert config_for("x86_64", memory_block_size=2 * GiB).sections_per_block == 16
    with pytest.raises(PatchscopeError, match="not a multiple of the section size"):
        config_for("x86_64", memory_block_size=64 * MiB)
    with pytest.raises(PatchscopeError, match="unknown arch"):
        config_for("sparc")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4G", 4 * GiB),
        ("128M", 128 * MiB),
        ("0x100000000", 1 << 32),
        ("4096", 4096),
        ("2GiB", 2 * GiB),
        ("1T", 1 << 40),
        ("64k", 65536),
    ],
)
def test_parse_size(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "4X", "0x", "-4G", "1.5G"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(PatchscopeError, match="bad size"):
        parse_size(text)
