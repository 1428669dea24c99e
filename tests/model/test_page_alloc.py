"""The buddy allocator: blocks split and merge as the kernel's do; -ENOMEM when no block of
the order is free; fragmentation on purpose."""

import pytest

from patchscope.model.memory_hotplug import Kernel, KernelError, config_for
from patchscope.model.memory_hotplug.kernel import nr_free_pages
from patchscope.model.memory_hotplug.page_alloc import free_blocks

GiB = 1 << 30


def _kernel() -> Kernel:
    return Kernel(config_for("x86_64", boot_memory_end=1 * GiB, low_zone_end=0, low_zone=None))


def test_boot_frees_everything_but_the_memmap() -> None:
    k = _kernel()
    zone = k.nodes[0].zones["Normal"]
    pages = GiB // 4096
    memmap = pages * 64 // 4096  # 8 sections' memmap, 2 MiB each
    assert zone.present_pages == zone.spanned_pages == pages
    assert zone.managed_pages == nr_free_pages(zone) == pages - memmap
    assert k.totalram_pages == pages - memmap
    # all of it in largest-order blocks of 1024 pages
    assert len(zone.free_area[10]) == (pages - memmap) // 1024


def test_split_and_merge_back() -> None:
    k = _kernel()
    zone = k.nodes[0].zones["Normal"]
    top = len(zone.free_area[10])
    pfn = k.call("alloc_pages_node", 0, 0)
    assert pfn == 0  # the lowest block, split down: one block of each order 0..9 left over
    assert [len(zone.free_area[o]) for o in range(10)] == [1] * 10
    assert len(zone.free_area[10]) == top - 1
    assert "Buddy" not in k.pages.get(0).flags and k.pages.get(0).refcount == 1
    assert "Buddy" in k.pages.get(1).flags
    k.call("__free_pages", pfn, 0)
    assert [len(zone.free_area[o]) for o in range(10)] == [0] * 10
    assert len(zone.free_area[10]) == top


def test_enomem_and_fragmentation() -> None:
    k = _kernel()
    free_before = nr_free_pages(k.nodes[0].zones["Normal"])
    k.fragment(0, 8)
    zone = k.nodes[0].zones["Normal"]
    assert all(len(zone.free_area[o]) == 0 for o in range(8, 11))
    assert nr_free_pages(zone) == free_before // 2  # every other order-7 half kept
    with pytest.raises(KernelError) as err:
        k.call("alloc_pages_node", 0, 8)
    assert err.value.errno == "ENOMEM"
    assert k.call("alloc_pages_node", 0, 7) >= 0
    # a freed order-7 block cannot merge: its buddy was taken away
    pfn = k.call("alloc_pages_node", 0, 7)
    k.call("__free_pages", pfn, 7)
    assert len(zone.free_area[8]) == 0


@pytest.mark.parametrize(("start", "end"), [(0, 1 << 20), (3, 5000), (1024, 1025), (7, 7)])
def test_free_blocks_cover_the_range_with_aligned_blocks(start: int, end: int) -> None:
    covered = []
    for pfn, order, count in free_blocks(start, end, 11):
        for i in range(count):
            block = pfn + (i << order)
            assert block % (1 << order) == 0 and order <= 10
            covered.extend(range(block, block + (1 << order)))
    assert covered == list(range(start, end))
