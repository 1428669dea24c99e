"""Hot-add, online, offline and hot-remove on the base kernel (stage 0), with every expected
number worked out here from design.md's kernel facts, not read from the model."""

import pytest

from patchscope.model.memory_hotplug import Kernel, KernelError, config_for
from patchscope.model.memory_hotplug.invariants import check
from patchscope.model.memory_hotplug.kernel import nr_free_pages

GiB = 1 << 30
MiB = 1 << 20
PAGE = 4096
SECTION = 128 * MiB
MEMMAP_PER_SECTION = SECTION // PAGE * 64 // PAGE  # 512 pages: 2 MiB, one PMD


def _added(size: int = 2 * GiB, start: int = 4 * GiB, **config: int) -> Kernel:
    k = Kernel(config_for("x86_64", **config))
    with k.step("hot-add"):
        k.call("add_memory", 0, start, size)
    return k


def _blocks(k: Kernel, start: int, size: int) -> range:
    block = k.config.memory_block_size
    return range(start // block, (start + size) // block)


def test_hot_add_2g_at_4g() -> None:
    before = Kernel(config_for("x86_64")).snapshot().as_dict()
    k = _added()
    sections = 2 * GiB // SECTION
    assert sections == 16
    start_pfn, pages = 4 * GiB // PAGE, 2 * GiB // PAGE
    assert pages == 524288
    added = [nr for nr, s in k.sections.items() if s.present and nr >= 4 * GiB // SECTION]
    assert len(added) == sections
    assert k.pages.count(start_pfn, start_pfn + pages, lambda s: s.present) == pages
    # every new struct page is poisoned (CONFIG_DEBUG_VM) until memmap_init_zone
    assert k.pages.count(start_pfn, start_pfn + pages, lambda s: s.poisoned) == pages
    # the memmap came from node 0's free memory: one 2 MiB PMD per section
    after = k.snapshot().as_dict()
    assert after["node0.DMA32.free_pages"] == before["node0.DMA32.free_pages"] - 16 * 512
    assert after["memmap_backing_pages"] - before["memmap_backing_pages"] == 16 * 512
    assert sorted(o for o, _ in k.order_allocations) == [9] * 16
    assert sorted(k.memory_blocks)[-16:] == list(_blocks(k, 4 * GiB, 2 * GiB))
    assert all(k.memory_block_state(b) == "offline" for b in _blocks(k, 4 * GiB, 2 * GiB))
    assert check(k) == []


def test_online_offline_remove_round_trip() -> None:
    pristine = Kernel(config_for("x86_64")).snapshot().as_dict()
    k = _added()
    pages = 2 * GiB // PAGE
    movable = k.nodes[0].zones["Movable"]
    for block in _blocks(k, 4 * GiB, 2 * GiB):
        k.call("memory_block_action", block, "online", "movable")
    assert (movable.spanned_pages, movable.present_pages, movable.managed_pages) == (
        pages,
        pages,
        pages,
    )  # base kernel: memmap lives outside the range
    assert nr_free_pages(movable) == pages
    assert k.totalram_pages == pristine["totalram_pages"] + pages
    assert check(k) == []
    for block in _blocks(k, 4 * GiB, 2 * GiB):
        k.call("memory_block_action", block, "offline")
    assert (movable.present_pages, movable.managed_pages) == (0, 0)
    assert movable.spanned_pages == pages  # only removal shrinks the span
    assert check(k) == []
    k.call("remove_memory", 0, 4 * GiB, 2 * GiB)
    assert check(k) == []
    after = k.snapshot().as_dict()
    for key in (
        "node0.DMA32.free_pages",
        "sections_present",
        "memory_blocks",
        "memmap_backing_pages",
        "totalram_pages",
        "node0.Movable.spanned_pages",
    ):
        assert after[key] == pristine[key], key
    assert not any(r.start < 6 * GiB and 4 * GiB < r.end for r in k.iomem)


def test_remove_in_smaller_pieces_any_order() -> None:
    k = _added(1 * GiB)
    for block in _blocks(k, 4 * GiB, 1 * GiB):
        k.call("memory_block_action", block, "online", "movable")
        k.call("memory_block_action", block, "offline")
    for block in (3, 0, 7, 1, 2, 6, 4, 5):
        k.call("remove_memory", 0, 4 * GiB + block * SECTION, SECTION)
        assert check(k) == []
    assert not [nr for nr in k.sections if nr >= 4 * GiB // SECTION]
    assert k.snapshot().as_dict()["memmap_backing_pages"] == (4 * GiB // SECTION) * 512
    assert k.nodes[0].zones["Movable"].spanned_pages == 0


def test_misaligned_start_is_einval_and_leaves_nothing() -> None:
    k = Kernel(config_for("x86_64"))
    before = k.snapshot()
    with pytest.raises(KernelError) as err:
        k.call("add_memory", 0, 4 * GiB + 64 * MiB, 2 * GiB)
    assert err.value.errno == "EINVAL"
    assert k.snapshot().delta(before) == {}
    assert check(k) == []
    # the same range, block-aligned, is accepted
    k.call("add_memory", 0, 4 * GiB, 2 * GiB)


def test_two_gib_blocks() -> None:
    k = Kernel(config_for("x86_64", boot_memory_end=64 * GiB))
    assert k.config.memory_block_size == 2 * GiB  # 64 GiB is a multiple of 2 GiB
    with pytest.raises(KernelError):
        k.call("add_memory", 0, 65 * GiB, 2 * GiB)
    k.call("add_memory", 0, 64 * GiB, 4 * GiB)
    new = [b for b in k.memory_blocks if b >= 32]
    assert new == [32, 33] and all(k.memory_blocks[b].section_count == 16 for b in new)


def test_enomem_half_way_keeps_the_sections_already_added() -> None:
    """__add_pages stops at the first failing section and nothing rolls the others back:
    the v5.0 kernel leaks them, and the invariant reports the leak."""
    k = Kernel(config_for("x86_64", boot_memory_end=1 * GiB, low_zone=None, low_zone_end=0))
    free_pmds = sum(len(a) << o for o, a in enumerate(k.nodes[0].zones["Normal"].free_area))
    free_pmds //= 512
    with pytest.raises(KernelError) as err:
        k.call("add_memory", 0, 4 * GiB, (free_pmds + 4) * SECTION)
    assert err.value.errno == "ENOMEM"
    assert len([nr for nr in k.sections if nr >= 32]) == free_pmds
    assert {v.name for v in check(k)} == {"nothing-left"}


def test_offline_counts_holes_and_hwpoison_right() -> None:
    k = Kernel(config_for("x86_64"))
    start_pfn = 4 * GiB // PAGE
    hole = (start_pfn + 32768 + 4096, 4096)  # 16 MiB hole inside the second section
    k.add_hole(*hole)
    k.call("add_memory", 0, 4 * GiB, 256 * MiB)
    movable = k.nodes[0].zones["Movable"]
    k.call("memory_block_action", 32, "online", "movable")
    k.hwpoison(start_pfn + 100)
    pages = SECTION // PAGE
    assert (movable.present_pages, movable.managed_pages) == (pages, pages)
    k.call("memory_block_action", 32, "offline")  # HWPoison does not stop offline
    assert (movable.present_pages, movable.managed_pages) == (0, 0)
    k.call("memory_block_action", 33, "online", "movable")
    assert movable.present_pages == pages - hole[1]
    with pytest.raises(KernelError) as err:  # the hole's Reserved pages pin the block
        k.call("memory_block_action", 33, "offline")
    assert err.value.errno == "EBUSY"
    assert movable.present_pages == pages - hole[1]
    assert check(k) == []


def test_offline_migrates_movable_pages_and_refuses_kernel_pages() -> None:
    k = _added(256 * MiB)
    k.call("memory_block_action", 32, "online", "movable")
    k.call("memory_block_action", 33, "online", "kernel")
    user = k.call("alloc_pages_node", 0, 3, "movable")
    assert user >= 4 * GiB // PAGE  # the Movable zone comes first for user pages
    k.call("memory_block_action", 32, "offline")
    assert k.nodes[0].zones["Movable"].present_pages == 0
    kernel = k.call("alloc_pages_node", 0, 0, "kernel")
    assert k.config.section_nr(kernel) == 33  # the Normal zone is the hot-added block
    with pytest.raises(KernelError) as err:
        k.call("memory_block_action", 33, "offline")
    assert err.value.errno == "EBUSY"
    assert check(k) == []


def test_remove_of_never_onlined_memory_reads_a_poisoned_page() -> None:
    """v5.0 arch_remove_memory() asks page_zone() of an uninitialised struct page."""
    k = _added(128 * MiB)
    k.call("remove_memory", 0, 4 * GiB, 128 * MiB)
    assert [v.name for v in check(k)] == ["poisoned-read"]
    k = _added(128 * MiB, debug_vm_pgflags=False)
    k.call("remove_memory", 0, 4 * GiB, 128 * MiB)
    assert check(k) == []


def test_remove_of_online_memory_is_a_bug() -> None:
    k = _added(128 * MiB)
    k.call("memory_block_action", 32, "online", "movable")
    k.call("remove_memory", 0, 4 * GiB, 128 * MiB)
    assert [v.name for v in check(k)] == ["kernel-bug"]
    assert 32 in k.sections


def test_one_tib_costs_sections_not_pages() -> None:
    k = Kernel(config_for("x86_64", boot_memory_end=64 * GiB))
    k.call("add_memory", 0, 64 * GiB, 1 << 40)
    assert sum(1 for nr in k.sections if nr >= 512) == (1 << 40) // SECTION == 8192
    assert len(k.pages) < 4 * 8192 + 100  # runs grow with sections, not pages


@pytest.mark.parametrize(
    ("start", "size"),
    [(32 * GiB, 4 * GiB), (128 * GiB, 64 * GiB), (32 * GiB + 128 * MiB, 128 * MiB)],
)
def test_other_sizes_and_starts(start: int, size: int) -> None:
    k = Kernel(config_for("x86_64", boot_memory_end=32 * GiB))
    free = k.snapshot().as_dict()
    k.call("add_memory", 0, start, size)
    sections = size // SECTION
    assert len([nr for nr in k.sections if nr * SECTION >= start]) == sections
    assert k.snapshot().as_dict()["memory_blocks"] - free["memory_blocks"] == sections
    assert sum(1 << o for o, _ in k.order_allocations) == sections * MEMMAP_PER_SECTION
    for block in _blocks(k, start, size):
        k.call("memory_block_action", block, "online", "kernel")
    normal = k.nodes[0].zones["Normal"]
    boot_normal = 32 * GiB // PAGE - 4 * GiB // PAGE  # boot memory above DMA32
    assert normal.present_pages == boot_normal + size // PAGE
    assert check(k) == []


def test_without_sparsemem_vmemmap_each_section_allocates_its_mem_map() -> None:
    k = Kernel(config_for("x86_64", sparsemem_vmemmap=False))
    free = k.snapshot().as_dict()["node0.DMA32.free_pages"]
    k.call("add_memory", 0, 4 * GiB, 512 * MiB)
    names = {t.function for t in k.trace}
    assert "vmemmap_populate" not in names and "sparse_mem_map_populate" not in names
    assert not [i for i in k.vmemmap if i >= k.config.page_va(START) >> 21]
    assert k.snapshot().as_dict()["node0.DMA32.free_pages"] == free - 4 * MEMMAP_PER_SECTION
    for block in (32, 33, 34, 35):
        k.call("memory_block_action", block, "online", "movable")
        k.call("memory_block_action", block, "offline")
    k.call("remove_memory", 0, 4 * GiB, 512 * MiB)
    assert k.snapshot().as_dict()["node0.DMA32.free_pages"] == free
    assert check(k) == []


START = 4 * GiB // PAGE


@pytest.mark.parametrize(
    "op",
    [
        lambda k: k.call("online_pages", 8 * GiB // PAGE, 32768, "movable"),
        lambda k: k.call("offline_pages", 8 * GiB // PAGE, 32768),
        lambda k: k.call("remove_memory", 0, 8 * GiB, 128 * MiB),
    ],
)
def test_operations_on_memory_never_added_are_einval_without_reading_it(op: object) -> None:
    k = _added(128 * MiB)
    with pytest.raises(KernelError) as err:
        op(k)  # type: ignore[operator]
    assert err.value.errno == "EINVAL"
    assert check(k) == []  # no struct page of the missing range was read


def test_offline_that_cannot_migrate_is_interrupted_and_undone() -> None:
    k = Kernel(config_for("x86_64", boot_memory_end=1 * GiB, low_zone=None, low_zone_end=0))
    k.call("add_memory", 0, 4 * GiB, 128 * MiB)
    k.call("memory_block_action", 32, "online", "movable")
    user = k.call("alloc_pages_node", 0, 0, "movable")
    for order in range(10, -1, -1):  # nothing left anywhere else to migrate to
        while True:
            try:
                k.call("alloc_pages_node", 0, order, "kernel")
            except KernelError:
                break
    with pytest.raises(KernelError) as err:
        k.call("memory_block_action", 32, "offline")
    assert err.value.errno == "EINTR"
    assert k.isolated == []  # undo_isolate_page_range ran
    assert k.pages.get(user).mapping == "anon"  # the page stayed where it was
    assert k.nodes[0].zones["Movable"].present_pages == 128 * MiB // PAGE
    assert check(k) == []


def test_auto_online() -> None:
    k = Kernel(config_for("x86_64"))
    k.globals["memhp_auto_online"] = True
    k.call("add_memory", 0, 4 * GiB, 256 * MiB)
    assert k.nodes[0].zones["Normal"].present_pages == 256 * MiB // PAGE
    assert [k.memory_block_state(b) for b in (32, 33)] == ["online", "online"]
