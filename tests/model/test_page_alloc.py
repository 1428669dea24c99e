"""The buddy allocator: blocks split and merge as the kernel's do; -ENOMEM when no block of
the order is free; fragmentation on purpose."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


ORDER = 3  # blocks of 8 pages


@st.composite
def free_list_ops(draw: st.DrawFn) -> list[tuple[str, int, int]]:
    """Adds of one block or a stride, discards and range takes, on pfns of a small span
    (a block may start anywhere a free block of its order could: any multiple of 8 here,
    and unaligned starts too, as online_pages_blocks() can make)."""
    step = 1 << ORDER
    kind = st.sampled_from(["add", "add_many", "add_each", "discard", "take"])
    pfn = st.integers(0, 40).map(lambda i: i * step) | st.integers(0, 330)
    return draw(st.lists(st.tuples(kind, pfn, st.integers(0, 6)), max_size=40))


@given(free_list_ops())
def test_a_free_list_holds_what_a_sorted_set_of_block_starts_would(
    ops: list[tuple[str, int, int]],
) -> None:
    from patchscope.model.memory_hotplug.kernel import FreeArea

    area, model = FreeArea(ORDER), set[int]()
    step = 1 << ORDER
    for kind, pfn, n in ops:
        if kind in ("add", "add_many", "add_each"):
            # add_each: every other block of the stride, as a fragmented node's halves
            spacing = 2 * step if kind == "add_each" else step
            stride = range(pfn, pfn + (1 if kind == "add" else n) * spacing, spacing)
            # a free list never holds two blocks that overlap
            if any(abs(new - old) < step for new in stride for old in model):
                continue
            if kind == "add":
                area.add(pfn)
            elif kind == "add_many":
                area.add_many(stride)
            else:
                area.add_each(reversed(stride))  # in any order
            model.update(stride)
        elif kind == "discard":
            assert area.discard(pfn) == (pfn in model)
            model.discard(pfn)
        else:
            end = pfn + n * step
            assert area.take_range(pfn, end) == sorted(p for p in model if pfn <= p < end)
            model -= set(range(pfn, end))
        assert list(area) == sorted(model) and len(area) == len(model)
        assert all((p in area) == (p in model) for p in range(0, 340))
