"""Each invariant, broken on purpose in a hand-mutated kernel, and kept by a sound one."""

from dataclasses import replace

import pytest

from patchscope.model.memory_hotplug import Kernel, config_for
from patchscope.model.memory_hotplug.invariants import check
from patchscope.model.memory_hotplug.kernel import KernelError

GiB = 1 << 30
MiB = 1 << 20
START_PFN = 4 * GiB // 4096
SECTION_PAGES = 32768


def _names(k: Kernel) -> list[str]:
    return sorted({v.name for v in check(k)})


def _online(**config: bool) -> Kernel:
    k = Kernel(config_for("x86_64", **config))
    k.call("add_memory", 0, 4 * GiB, 256 * MiB)
    for block in (32, 33):
        k.call("memory_block_action", block, "online", "movable")
    return k


def test_a_sound_kernel_keeps_every_invariant() -> None:
    k = _online()
    assert check(k) == []
    for block in (32, 33):
        k.call("memory_block_action", block, "offline")
    k.call("remove_memory", 0, 4 * GiB, 256 * MiB)
    assert check(k) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda k: setattr(k.nodes[0].zones["Movable"], "managed_pages", 2 * SECTION_PAGES + 1),
        lambda k: setattr(k.nodes[0].zones["Movable"], "spanned_pages", SECTION_PAGES),
        lambda k: setattr(k.nodes[0], "node_present_pages", 1),
        lambda k: setattr(k, "totalram_pages", k.totalram_pages - 1),
    ],
)
def test_accounting(mutate: object) -> None:
    k = _online()
    mutate(k)  # type: ignore[operator]
    assert _names(k) == ["accounting"]


def test_poisoned_read_is_reported_once_and_only_with_pgflags() -> None:
    k = Kernel(config_for("x86_64"))
    k.call("add_memory", 0, 4 * GiB, 128 * MiB)
    assert check(k) == []
    k.call("PageReserved", START_PFN + 5)  # nobody initialised it yet
    assert _names(k) == ["poisoned-read"]
    assert check(k) == []  # each BUG once
    k = Kernel(config_for("x86_64", debug_vm_pgflags=False))
    k.call("add_memory", 0, 4 * GiB, 128 * MiB)
    k.call("PageReserved", START_PFN + 5)
    assert check(k) == []


def test_memmap_used_after_its_backing_was_freed() -> None:
    k = _online()
    c = k.config
    index = c.page_va(START_PFN) >> c.vmemmap_page_shift
    block = k.vmemmap.pop(index)  # unmapped and freed behind the section's back
    k.call("__free_pages", block.pfn, block.order)
    k.call("PageReserved", START_PFN)
    assert _names(k) == ["memmap-backed-once", "memmap-use-after-free"]


def test_vmemmap_pages_in_the_buddy() -> None:
    k = _online()
    c = k.config
    block = k.vmemmap[c.page_va(START_PFN) >> c.vmemmap_page_shift]
    k.call("free_one_page", block.pfn, block.order)  # freed while still mapped
    assert _names(k) == ["vmemmap-in-buddy"]


def test_memmap_backed_twice() -> None:
    k = _online()
    c = k.config
    first = c.page_va(START_PFN) >> c.vmemmap_page_shift
    k.vmemmap[first + 1] = replace(k.vmemmap[first + 1], pfn=k.vmemmap[first].pfn)
    assert "memmap-backed-once" in _names(k)


def test_nothing_left_after_remove() -> None:
    k = _online()
    for block in (32, 33):
        k.call("memory_block_action", block, "offline")
    k.call("remove_memory", 0, 4 * GiB, 256 * MiB)
    k.pages.set(START_PFN + 7, START_PFN + 8, present=True, refcount=1)  # a stale page
    assert _names(k) == ["nothing-left"]
    k.pages.set(START_PFN + 7, START_PFN + 8, present=False, refcount=0)
    assert check(k) == []
    k.globals["online_page_callback"] = "hv_online_page"  # a driver's global left behind
    assert _names(k) == ["nothing-left"]


def test_adding_a_range_twice_keeps_the_first_add() -> None:
    """The second add_memory of a range fails with -EEXIST and leaves the first add as it was;
    nothing of the range is expected gone."""
    k = Kernel(config_for("x86_64"))
    k.call("add_memory", 0, 4 * GiB, 256 * MiB)
    with pytest.raises(KernelError) as failed:
        k.call("add_memory", 0, 4 * GiB, 256 * MiB)
    assert failed.value.errno == "EEXIST"
    assert check(k) == []


def test_memory_blocks_exactly_when_asked_for() -> None:
    k = Kernel(config_for("x86_64"))
    k.call("add_memory", 0, 4 * GiB, 256 * MiB)
    del k.memory_blocks[33]
    assert _names(k) == ["memory-block-api"]
    k = Kernel(config_for("x86_64"))
    k.record_hotplug(0, 4 * GiB, 256 * MiB, memory_block_api=False, driver="devm")
    k.call("arch_add_memory", 0, 4 * GiB, 256 * MiB, None, True)  # registers anyway
    assert _names(k) == ["memory-block-api"]
