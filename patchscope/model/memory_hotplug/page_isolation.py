"""mm/page_isolation.c (and has_unmovable_pages() of mm/page_alloc.c)."""

from __future__ import annotations

from patchscope.model.memory_hotplug.kernel import Kernel, KernelError, kernel_function
from patchscope.model.memory_hotplug.pages import PageState, struct_pages


def _unmovable(state: PageState, skip_hwpoison: bool) -> bool:
    """has_unmovable_pages(), per page: Reserved pages (a hole, a boot allocation, memmap)
    and pages in use that are neither free nor on the LRU ("anon" here) pin the block."""
    if "Reserved" in state.flags:
        return True
    if skip_hwpoison and "HWPoison" in state.flags:
        return False
    return state.refcount > 0 and "Buddy" not in state.flags and state.mapping is None


@kernel_function()
def start_isolate_page_range(
    k: Kernel, start_pfn: int, end_pfn: int, skip_hwpoison: bool = True
) -> None:
    """mm/page_isolation.c start_isolate_page_range(): mark the pageblocks MIGRATE_ISOLATE
    so nothing allocates from them; -EBUSY (nothing isolated) if one holds an unmovable page."""
    for lo, _hi, state in struct_pages(k, start_pfn, end_pfn, "PageReserved"):
        if state.present and _unmovable(state, skip_hwpoison):
            raise KernelError("EBUSY", f"unmovable page at pfn {lo:#x}: range not isolated")
    k.isolated.append((start_pfn, end_pfn))


@kernel_function()
def undo_isolate_page_range(k: Kernel, start_pfn: int, end_pfn: int) -> None:
    """mm/page_isolation.c undo_isolate_page_range(): back to MIGRATE_MOVABLE."""
    k.isolated.remove((start_pfn, end_pfn))


@kernel_function()
def test_pages_isolated(
    k: Kernel, start_pfn: int, end_pfn: int, skip_hwpoisoned_pages: bool = True
) -> None:
    """mm/page_isolation.c test_pages_isolated(): every page of the range is free in the
    buddy (or HWPoison, when skipped); -EBUSY otherwise."""
    if not any(lo <= start_pfn and end_pfn <= hi for lo, hi in k.isolated):
        raise KernelError("EBUSY", f"pfn {start_pfn:#x}-{end_pfn:#x} not isolated")
    for lo, _hi, state in struct_pages(k, start_pfn, end_pfn, "PageBuddy"):
        if "Buddy" in state.flags or (skip_hwpoisoned_pages and "HWPoison" in state.flags):
            continue
        raise KernelError("EBUSY", f"pfn {lo:#x} is not free")
