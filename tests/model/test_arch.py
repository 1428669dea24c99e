"""The arch hooks: ppc64's 16 MiB vmemmap pages, s390 and arm64 geometry and limits."""

import pytest

from patchscope.model.memory_hotplug import Kernel, KernelError, config_for
from patchscope.model.memory_hotplug.invariants import check

GiB = 1 << 30
MiB = 1 << 20
PPC_PAGE = 64 * 1024
# one 16 MiB vmemmap page holds 16 MiB / 64 B struct pages, each for a 64 KiB page
PPC_STRETCH = 16 * MiB // 64 * PPC_PAGE
ORDER_8 = (16 * MiB) // PPC_PAGE


def _ppc() -> Kernel:
    return Kernel(config_for("ppc64"))


def test_ppc64_stretch_is_16_gib() -> None:
    assert PPC_STRETCH // GiB == 16
    assert ORDER_8 == 1 << 8


@pytest.mark.parametrize(
    ("start", "size"),
    [
        (4 * GiB, 2 * GiB),
        (16 * GiB, 2 * GiB),
        (15 * GiB, 2 * GiB),
        (16 * GiB, 32 * GiB),
        (40 * GiB, 256 * MiB),
    ],
)
def test_ppc64_order8_only_for_a_new_stretch(start: int, size: int) -> None:
    k = _ppc()
    boot = {a // PPC_STRETCH for a in range(0, 4 * GiB, 16 * MiB)}  # boot memory's stretches
    touched = {a // PPC_STRETCH for a in range(start, start + size, 16 * MiB)}
    k.call("add_memory", 0, start, size)
    assert len([nr for nr in k.sections if nr * 16 * MiB >= 4 * GiB]) == size // (16 * MiB)
    assert [order for order, _ in k.order_allocations] == [8] * len(touched - boot)
    assert check(k) == []


def test_ppc64_fragmented_node_has_no_order8_block() -> None:
    k = _ppc()
    k.fragment(0, 8)
    k.call("add_memory", 0, 4 * GiB, 2 * GiB)  # the boot stretch is mapped: no allocation
    with pytest.raises(KernelError) as err:
        k.call("add_memory", 0, 16 * GiB, 256 * MiB)
    assert err.value.errno == "ENOMEM"
    assert not [nr for nr in k.sections if nr * 16 * MiB >= 16 * GiB]  # first section failed
    assert check(k) == []


def test_ppc64_vmemmap_page_freed_with_the_last_section_of_its_stretch() -> None:
    k = _ppc()
    free = k.snapshot().as_dict()["node0.Normal.free_pages"]
    k.call("add_memory", 0, 16 * GiB, 512 * MiB)
    assert k.snapshot().as_dict()["node0.Normal.free_pages"] == free - ORDER_8
    for block in (64, 65):  # 256 MiB blocks
        k.call("memory_block_action", block, "online", "movable")
        k.call("memory_block_action", block, "offline")
    k.call("remove_memory", 0, 16 * GiB, 256 * MiB)
    assert k.snapshot().as_dict()["node0.Normal.free_pages"] == free - ORDER_8
    k.call("remove_memory", 0, 16 * GiB + 256 * MiB, 256 * MiB)
    assert k.snapshot().as_dict()["node0.Normal.free_pages"] == free
    assert check(k) == []


def test_s390_sections_memmap_from_the_node_and_no_remove() -> None:
    k = Kernel(config_for("s390"))
    assert k.config.section_size == 256 * MiB
    k.call("add_memory", 0, 4 * GiB, 1 * GiB)
    memmap_per_section = 256 * MiB // 4096 * 64  # 4 MiB, in 1 MiB segment frames
    frames = 4 * memmap_per_section // MiB
    assert [order for order, _ in k.order_allocations] == [8] * frames
    for nr in range(16, 20):
        k.call("memory_block_action", nr, "online", "movable")
        k.call("memory_block_action", nr, "offline")
    k.call("remove_memory", 0, 4 * GiB, 1 * GiB)
    assert "kernel-bug" in {v.name for v in check(k)}  # arch_remove_memory() is BUG()


def test_arm64_one_gib_sections_and_no_hot_remove() -> None:
    k = Kernel(config_for("arm64"))
    assert k.config.section_size == 1 * GiB
    k.call("add_memory", 0, 4 * GiB, 2 * GiB)
    pmds = 2 * (GiB // 4096 * 64) // (2 * MiB)  # 16 MiB of memmap per section
    assert [order for order, _ in k.order_allocations] == [9] * pmds
    with pytest.raises(KernelError, match="CONFIG_MEMORY_HOTREMOVE"):
        k.call("remove_memory", 0, 4 * GiB, 2 * GiB)


def test_altmap_puts_the_memmap_in_the_range() -> None:
    """The base kernel's altmap (devm_memremap_pages): x86_64 carves each PMD from it."""
    from patchscope.model.memory_hotplug.kernel import VmemAltmap

    k = Kernel(config_for("x86_64"))
    start_pfn = 4 * GiB // 4096
    altmap = VmemAltmap(base_pfn=start_pfn, free=16 * 512)
    k.record_hotplug(0, 4 * GiB, 2 * GiB, memory_block_api=False, driver="devm")
    free = k.snapshot().as_dict()["node0.DMA32.free_pages"]
    k.call("arch_add_memory", 0, 4 * GiB, 2 * GiB, altmap, False)
    assert k.snapshot().as_dict()["node0.DMA32.free_pages"] == free
    assert altmap.alloc == 16 * 512
    blocks = sorted(b.pfn for b in k.vmemmap.values() if b.altmap)
    assert blocks == [start_pfn + i * 512 for i in range(16)]
    assert not [b for b in k.memory_blocks if b >= 32]  # no memory-block API asked for
    assert check(k) == []
    small = VmemAltmap(base_pfn=8 * GiB // 4096, free=512)
    with pytest.raises(KernelError) as err:
        k.call("arch_add_memory", 0, 8 * GiB, 256 * MiB, small, False)
    assert err.value.errno == "ENOMEM"  # the second PMD does not fit, and no fallback
