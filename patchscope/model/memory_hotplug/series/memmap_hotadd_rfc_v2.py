"""[RFC PATCH v2 0/4] mm, memory_hotplug: allocate memmap from hotadded memory (Jan 2019).

Each patch as it does it, over the base model:

1/4 __offline_isolated_pages() returns the pages it offlined and offline_isolated_pages_cb()
    adds them up; check_pages_isolated_cb() only checks.
2/4 `struct mhp_restrictions` (flags with MHP_MEMBLOCK_API, altmap) replaces the altmap and
    want_memblock parameters of arch_add_memory(), add_pages() and __add_pages().
3/4 the memmap comes from the hot-added range: add_memory_resource() asks for
    MHP_MEMMAP_FROM_RANGE while hotplug_vmemmap_enabled (Hyper-V and Xen switch it off, s390
    vetoes the flag); init_altmap_memmap() sets up the altmap, mark_vmemmap_pages() marks
    the pages; online, offline and isolation skip them; remove frees the memmap backwards
    once the head's refcount reaches 0.
4/4 renames kmalloc_section_memmap/__kfree_section_memmap to alloc_/free_section_memmap.

Every flag, constant and condition is read from the series' own lines (`SeriesText`); a
stage never uses what a later patch brings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from patchscope.checks.cexpr import INT, Value
from patchscope.code.facts import series_facts
from patchscope.code.model import SeriesFacts
from patchscope.ingest.series import Series
from patchscope.model.memory_hotplug.arch import populate_vmemmap
from patchscope.model.memory_hotplug.kernel import (
    Kernel,
    KernelError,
    MemmapBlock,
    Resource,
    VmemAltmap,
    Zone,
    base_function,
)
from patchscope.model.memory_hotplug.page_isolation import _unmovable
from patchscope.model.memory_hotplug.pages import ABSENT, PageState, struct_pages
from patchscope.model.memory_hotplug.stages import (
    NO_MODEL,
    NoModelError,
    SeriesText,
    Stage,
    series_text,
    unsigned_long,
)

Override = Callable[..., Any]

# What the series' lines build on but never show, as the v5.0 tree writes it:
# include/linux/page-flags.h (PAGE_MAPPING_*) and include/linux/stddef.h (false/true, an
# enum there; as macros here, the values are the same).
BASE_MACROS: Mapping[str, str] = {
    "PAGE_MAPPING_ANON": "#define PAGE_MAPPING_ANON 0x1",
    "PAGE_MAPPING_MOVABLE": "#define PAGE_MAPPING_MOVABLE 0x2",
    "PAGE_MAPPING_FLAGS": "#define PAGE_MAPPING_FLAGS (PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE)",
    "false": "#define false 0",
    "true": "#define true 1",
}
PATCHES = 4


def stages(series: Series, facts: SeriesFacts | None = None) -> list[Stage]:
    if len(series.patches) != PATCHES:
        raise NoModelError(f"{NO_MODEL}: memmap_hotadd_rfc_v2 models a 4-patch series")
    facts = series_facts(series) if facts is None else facts
    out = [Stage(0, "base tree")]
    for number, patch in enumerate(series.patches, start=1):
        text = series_text(facts, number, BASE_MACROS)
        overrides: dict[str, Override] = {}
        for builder in BUILDERS[:number]:
            overrides.update(builder(text, dict(overrides)))
        out.append(
            Stage(number, patch.subject.title, overrides, _constants(text), dict(text.renames))
        )
    return out


def _constants(text: SeriesText) -> dict[str, int]:
    """The object-like macros the series defines, evaluated (for the trace and reports)."""
    values: dict[str, int] = {}
    for name, macro in text.macros.items():
        if macro.params is None and name not in BASE_MACROS:
            values[name] = text.value(name).value
    return values


# --- calling the base with one call changed ---------------------------------------------


class _Rewritten:
    """A Kernel whose `call` of some names runs a replacement: how an override keeps a base
    function's body and changes only the call the patch changes (arguments or name)."""

    def __init__(self, k: Kernel, calls: Mapping[str, Override]) -> None:
        object.__setattr__(self, "_k", k)
        object.__setattr__(self, "_calls", calls)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name in self._calls:
            return self._calls[name](*args, **kwargs)
        return self._k.call(name, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._k, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._k, name, value)


def _base(k: Kernel, name: str) -> Override:
    return base_function(k.config.arch, name)


def _rewritten(k: Kernel, calls: Mapping[str, Override]) -> Kernel:
    return _Rewritten(k, calls)  # type: ignore[return-value]  # duck-typed Kernel


# --- 1/4 mm, memory_hotplug: cleanup memory offline path --------------------------------


def _patch1(text: SeriesText, earlier: Mapping[str, Override]) -> dict[str, Override]:
    def __offline_isolated_pages(k: Kernel, start_pfn: int, end_pfn: int) -> int:
        """mm/page_alloc.c (1/4): returns the pages it offlined."""
        return _offline_isolated(k, start_pfn, end_pfn, None)

    def offline_isolated_pages_cb(k: Kernel, start: int, nr_pages: int, arg: list[int]) -> int:
        """mm/memory_hotplug.c (1/4): count what __offline_isolated_pages() offlined."""
        arg[0] += k.call("__offline_isolated_pages", start, start + nr_pages)
        return 0

    def check_pages_isolated_cb(k: Kernel, start_pfn: int, nr_pages: int, arg: Any) -> int:
        """mm/memory_hotplug.c (1/4): test_pages_isolated() only; no counting."""
        try:
            k.call("test_pages_isolated", start_pfn, start_pfn + nr_pages, True)
        except KernelError as err:
            return err.value
        return 0

    return {
        "__offline_isolated_pages": __offline_isolated_pages,
        "offline_isolated_pages_cb": offline_isolated_pages_cb,
        "check_pages_isolated_cb": check_pages_isolated_cb,
        "__offline_pages": lambda k, s, e: _offline_pages(k, s, e, None),
    }


def _offline_isolated(
    k: Kernel, start_pfn: int, end_pfn: int, skip: Callable[[PageState], bool] | None
) -> int:
    """mm/page_alloc.c __offline_isolated_pages() after 1/4: each free block off the free
    lists counts its 1 << order, a HWPoison page outside the buddy counts one (and becomes
    Reserved), anything else in use is a BUG(); pages `skip` holds (3/4's Vmemmap pages)
    are stepped over untouched."""
    if not any(s.present for _, _, s in k.pages.runs(start_pfn, end_pfn)):
        return 0
    k.call("offline_mem_sections", start_pfn, end_pfn)
    offlined = 0
    for lo, hi, state in list(struct_pages(k, start_pfn, end_pfn, "PageBuddy")):
        if not state.present or (skip is not None and skip(state)):
            continue
        if "Buddy" in state.flags:
            zone = k.zone_of(lo)
            for area in zone.free_area if zone else ():
                area.take_range(lo, hi)
        elif "HWPoison" not in state.flags:
            k.bug("kernel-bug", f"__offline_isolated_pages: pfn {lo:#x} in use (BUG_ON)")
            continue
        offlined += hi - lo
        k.pages.add_flags(lo, hi, "Reserved")
        k.pages.clear_flags(lo, hi, "Buddy")
    return offlined


def _offline_pages(
    k: Kernel, start_pfn: int, end_pfn: int, is_vmemmap: Callable[[PageState], bool] | None
) -> None:
    """mm/memory_hotplug.c __offline_pages() after 1/4 (and, given 3/4's text, with its
    vmemmap skip): present and managed shrink by what offline_isolated_pages_cb counted."""
    nr_vmemmap, skip_migration = 0, False
    k.call("mem_hotplug_begin")
    try:
        if is_vmemmap is not None and _page_vmemmap(k, is_vmemmap, start_pfn):
            nr_vmemmap = _check_nr_vmemmap_pages(k, start_pfn)
            if start_pfn + nr_vmemmap >= end_pfn:
                nr_vmemmap, skip_migration = end_pfn - start_pfn, True
        zone: Zone = k.call("test_pages_in_a_zone", start_pfn, end_pfn)
        if not skip_migration:
            k.call("start_isolate_page_range", start_pfn, end_pfn, True)
            try:
                _migrate_until_isolated(k, start_pfn, end_pfn)
            except KernelError:
                k.call("undo_isolate_page_range", start_pfn, end_pfn)
                raise
        offlined = [0]
        nr = end_pfn - start_pfn
        k.call("walk_system_ram_range", start_pfn, nr, offlined, "offline_isolated_pages_cb")
        if not skip_migration:
            k.call("undo_isolate_page_range", start_pfn, end_pfn)
        k.call("adjust_managed_page_count", start_pfn, -offlined[0])
        gone = offlined[0] + nr_vmemmap
        zone.present_pages -= gone
        k.nodes[zone.nid].node_present_pages -= gone
    finally:
        k.call("mem_hotplug_done")


def _migrate_until_isolated(k: Kernel, start_pfn: int, end_pfn: int) -> None:
    """The do { migrate } while (walk_system_ram_range(check_pages_isolated_cb)) loop; the
    model sends the signal (-EINTR) when a round makes no progress."""
    if k.call("scan_movable_pages", start_pfn, end_pfn) is not None:
        k.call("do_migrate_range", start_pfn, end_pfn)
        if k.call("scan_movable_pages", start_pfn, end_pfn) is not None:
            raise KernelError("EINTR", "pages could not be migrated; offline loops until a signal")
    nr = end_pfn - start_pfn
    if k.call("walk_system_ram_range", start_pfn, nr, None, "check_pages_isolated_cb"):
        raise KernelError("EINTR", "pages stay busy after migration; offline loops until a signal")


# --- 2/4 mm, memory_hotplug: provide a more generic restrictions for memory hotplug -----


@dataclass
class MhpRestrictions:
    """struct mhp_restrictions (include/linux/memory_hotplug.h; init/constructor from 3/4):
    a C struct the callee may change, so mutable, and never part of a returned value."""

    flags: int = 0
    altmap: VmemAltmap | None = None
    init: str | None = None  # kernel function names of the callbacks
    constructor: str | None = None


def _patch2(text: SeriesText, earlier: Mapping[str, Override]) -> dict[str, Override]:
    memblock_line = text.line("__add_pages", "MHP_MEMBLOCK_API")

    def add_memory_resource(k: Kernel, nid: int, res: Resource) -> None:
        """mm/memory_hotplug.c (2/4): arch_add_memory() gets restrictions instead of
        (NULL, true); the rest of the base body is unchanged."""

        def arch_add_memory(nid: int, start: int, size: int, *_old: Any) -> None:
            r = _restrictions_of_add_memory_resource(k, text)
            k.call("arch_add_memory", nid, start, size, r)

        calls = {"arch_add_memory": arch_add_memory}
        _base(k, "add_memory_resource")(_rewritten(k, calls), nid, res)

    def arch_add_memory(k: Kernel, nid: int, start: int, size: int, r: MhpRestrictions) -> None:
        """arch/*/mm (2/4): every arch passes the restrictions on; the base body stays."""
        if k.config.arch == "s390" and "MHP_MEMMAP_FROM_RANGE" in text.macros:
            veto = text.line("arch_add_memory", "MHP_MEMMAP_FROM_RANGE", file="arch/s390/mm/init.c")
            r.flags = text.assign(veto, unsigned_long(r.flags), {}).value
        _base(k, "arch_add_memory")(_passing(k, r), nid, start, size, r.altmap, False)

    def add_pages(k: Kernel, nid: int, start_pfn: int, nr_pages: int, r: MhpRestrictions) -> None:
        """arch/x86/mm/init_64.c add_pages() (2/4): restrictions passed on."""
        _base(k, "add_pages")(_passing(k, r), nid, start_pfn, nr_pages, r.altmap, False)

    def __add_pages(k: Kernel, nid: int, pfn: int, nr_pages: int, r: MhpRestrictions) -> None:
        """mm/memory_hotplug.c __add_pages() (2/4): altmap from the restrictions, and
        `restrictions->flags & MHP_MEMBLOCK_API` for want_memblock."""
        want = text.condition(memblock_line, {"restrictions->flags": unsigned_long(r.flags)})
        _base(k, "__add_pages")(k, nid, pfn, nr_pages, r.altmap, want)

    return {
        "add_memory_resource": add_memory_resource,
        "arch_add_memory": arch_add_memory,
        "add_pages": add_pages,
        "__add_pages": __add_pages,
        "devm_memremap_pages": _devm_memremap_pages(text),
    }


def _devm_memremap_pages(text: SeriesText) -> Override:
    """kernel/memremap.c devm_memremap_pages() (2/4): the device-private add_pages() gets
    `&restrictions` instead of (NULL, false); `= {}` leaves its flags 0 (no memory-block
    API), and its altmap is the driver's where the patch's line stores it there."""
    lines = [r for r in text.references if r.in_function == "devm_memremap_pages"]
    of_restrictions = {r.text for r in lines if r.name == "restrictions"}
    lends = any(
        r.kind == "write" and r.name == "altmap" and r.text in of_restrictions for r in lines
    )

    def devm_memremap_pages(
        k: Kernel, nid: int, start: int, size: int, altmap: VmemAltmap | None
    ) -> None:
        r = MhpRestrictions(altmap=altmap if lends else None)

        def add_pages(nid: int, pfn: int, nr_pages: int, *_old: Any) -> None:
            k.call("add_pages", nid, pfn, nr_pages, r)

        calls = {"add_pages": add_pages}
        _base(k, "devm_memremap_pages")(_rewritten(k, calls), nid, start, size, altmap)

    devm_memremap_pages.__doc__ = _devm_memremap_pages.__doc__
    return devm_memremap_pages


def _passing(k: Kernel, r: MhpRestrictions) -> Kernel:
    """The kernel as an arch function of 2/4 sees it: its add_pages()/__add_pages() call
    passes the restrictions instead of (altmap, want_memblock)."""

    def with_restrictions(name: str) -> Override:
        return lambda nid, pfn, nr, *_old: k.call(name, nid, pfn, nr, r)

    return _rewritten(k, {name: with_restrictions(name) for name in ("add_pages", "__add_pages")})


def _restrictions_of_add_memory_resource(k: Kernel, text: SeriesText) -> MhpRestrictions:
    """The restrictions add_memory_resource() fills in, line by line as the series has it."""
    r = MhpRestrictions()
    r.flags = text.assign(
        text.line("add_memory_resource", "MHP_MEMBLOCK_API"), unsigned_long(0), {}
    ).value
    if "MHP_MEMMAP_FROM_RANGE" not in text.macros:
        return r
    enabled = k.globals.get("hotplug_vmemmap_enabled")
    if enabled is None:
        enabled = k.globals["hotplug_vmemmap_enabled"] = text.initial(
            "hotplug_vmemmap_enabled"
        ).value
    test = text.line("add_memory_resource", "hotplug_vmemmap_enabled")
    if text.condition(test, {"hotplug_vmemmap_enabled": Value(int(enabled), INT)}):
        line = text.line("add_memory_resource", "MHP_MEMMAP_FROM_RANGE")
        r.flags = text.assign(line, unsigned_long(r.flags), {}).value
        r.init, r.constructor = "init_altmap_memmap", "mark_vmemmap_pages"
    return r


# --- 3/4 mm, memory_hotplug: allocate memmap from the added memory range ----------------


def _vmemmap_test(text: SeriesText) -> Callable[[PageState], bool]:
    """PageVmemmap() as the series writes it: PageReserved && mapping == VMEMMAP_PAGE."""
    line = text.line("PageVmemmap", "VMEMMAP_PAGE")

    @lru_cache(maxsize=64)
    def holds(reserved: bool, mapping: str | None) -> bool:
        bindings = {
            "PageReserved(page)": Value(int(reserved), INT),
            "page->mapping": unsigned_long(_mapping_value(text, mapping)),
        }
        return text.condition(line, bindings)

    # the cached result is noted on every test, so each run records the line it decided
    return lambda state: bool(text.note(line, holds("Reserved" in state.flags, state.mapping)))


def _mapping_value(text: SeriesText, mapping: str | None) -> int:
    """page->mapping as a number: NULL, an anon mapping's tag bit, or what the series stored."""
    if mapping is None:
        return 0
    if mapping == "anon":
        return text.value("PAGE_MAPPING_ANON").value
    return int(mapping, 16)


def _page_vmemmap(k: Kernel, is_vmemmap: Callable[[PageState], bool], pfn: int) -> bool:
    return any(is_vmemmap(s) for _, _, s in struct_pages(k, pfn, pfn + 1, "PageVmemmap"))


def _check_nr_vmemmap_pages(k: Kernel, pfn: int) -> int:
    """check_nr_vmemmap_pages(): the head's private minus this page's distance from it."""
    page = k.pages.get(pfn)
    head = page.head_pfn if page.head_pfn is not None else pfn
    return int(k.pages.get(head).private) - (pfn - head)


def _vmemmap_runs(
    k: Kernel, is_vmemmap: Callable[[PageState], bool], start: int, end: int, test: str
) -> Iterator[tuple[int, int, bool]]:
    """(lo, hi, is_vmemmap) over [start, end), read poison-checked as `test` reads them."""
    for lo, hi, state in list(struct_pages(k, start, end, test)):
        yield lo, hi, is_vmemmap(state)


def _patch3(text: SeriesText, earlier: Mapping[str, Override]) -> dict[str, Override]:
    vmemmap_page = text.assign(text.line("__SetPageVmemmap", "VMEMMAP_PAGE"), unsigned_long(0), {})
    is_vmemmap = _vmemmap_test(text)
    add_pages_2 = earlier["__add_pages"]

    def __add_pages(k: Kernel, nid: int, pfn: int, nr_pages: int, r: MhpRestrictions) -> None:
        """mm/memory_hotplug.c __add_pages() (3/4): restrictions->init before the sections,
        restrictions->constructor after them."""
        memblk_altmap = VmemAltmap(base_pfn=0, free=0)
        if r.init is not None:
            k.call(r.init, pfn, nr_pages, memblk_altmap, r)
        add_pages_2(k, nid, pfn, nr_pages, r)
        if r.constructor is not None:
            k.call(r.constructor, r.altmap, r)

    def init_altmap_memmap(
        k: Kernel, pfn: int, nr_pages: int, altmap: VmemAltmap, r: MhpRestrictions
    ) -> None:
        """mm/memory_hotplug.c init_altmap_memmap() (3/4)."""
        test = text.line("init_altmap_memmap", "MHP_MEMMAP_FROM_RANGE")
        if text.condition(test, {"r->flags": unsigned_long(r.flags)}):
            return
        altmap.base_pfn, altmap.free = pfn, nr_pages
        r.altmap = altmap

    def mark_vmemmap_pages(k: Kernel, altmap: VmemAltmap | None, r: MhpRestrictions) -> None:
        """mm/sparse.c mark_vmemmap_pages() (3/4): it reads self->base_pfn before it tests
        the flags, so a NULL altmap (flag vetoed after init was set) is dereferenced."""
        if altmap is None:
            k.bug(
                "kernel-bug", "mark_vmemmap_pages(): NULL vmem_altmap dereferenced (self->base_pfn)"
            )
            return
        pfn, nr_pages = altmap.base_pfn + altmap.reserve, altmap.alloc
        sects = text.line("mark_vmemmap_pages", "PAGES_PER_SECTION")
        per_section = {
            "self->free": unsigned_long(altmap.free),
            "PAGES_PER_SECTION": unsigned_long(k.config.pages_per_section),
        }
        nr_sects = text.assign(sects, unsigned_long(0), per_section).value
        test = text.line("mark_vmemmap_pages", "MHP_MEMMAP_FROM_RANGE")
        bindings = {"r->flags": unsigned_long(r.flags), "nr_pages": unsigned_long(nr_pages)}
        if text.condition(test, bindings):
            return
        if altmap.align:
            k.bug("warning", f"mark_vmemmap_pages(): WARN_ON(align {altmap.align})")
        marked = PageState(
            present=True,
            flags=frozenset({"Reserved", "Vmemmap"}),  # "Vmemmap": the model's own marker
            mapping=f"{vmemmap_page.value:#x}",
            refcount=1,
            head_pfn=pfn,
        )
        k.pages.change(pfn, pfn + nr_pages, lambda _: marked)
        k.pages.set(pfn, pfn + 1, refcount=nr_sects, private=nr_pages)

    def online_pages_range(k: Kernel, start_pfn: int, nr_pages: int, arg: list[int]) -> int:
        """mm/memory_hotplug.c online_pages_range() (3/4): leading vmemmap pages are skipped
        (never freed to the buddy) but added to what is counted as onlined."""
        onlined = arg[0]
        pfn, skip = start_pfn, 0
        if _page_vmemmap(k, is_vmemmap, pfn):
            skip = min(_check_nr_vmemmap_pages(k, pfn), nr_pages)
            pfn += skip
        if nr_pages > skip and k.call("PageReserved", pfn):
            onlined = k.call("online_pages_blocks", pfn, nr_pages - skip)
        k.call("online_mem_sections", start_pfn, start_pfn + nr_pages)
        arg[0] += onlined + skip
        return 0

    def memmap_init_zone(
        k: Kernel,
        size: int,
        nid: int,
        zone: str,
        start_pfn: int,
        context: str,
        altmap: VmemAltmap | None = None,
    ) -> None:
        """mm/page_alloc.c __init_struct_page_nolru() (3/4): a Vmemmap page keeps its state
        (only its zone link is set); every page is first tested with PageVmemmap()."""
        base = _base(k, "memmap_init_zone")
        for lo, hi, vmemmap in _vmemmap_runs(
            k, is_vmemmap, start_pfn, start_pfn + size, "PageVmemmap"
        ):
            if vmemmap:
                k.pages.set(lo, hi, zone=zone)
            else:
                base(k, hi - lo, nid, zone, lo, context, altmap if lo == start_pfn else None)

    def start_isolate_page_range(
        k: Kernel, start_pfn: int, end_pfn: int, skip_hwpoison: bool = True
    ) -> None:
        """mm/page_isolation.c + has_unmovable_pages() (3/4): Vmemmap pages do not pin."""
        for lo, _hi, state in struct_pages(k, start_pfn, end_pfn, "PageVmemmap"):
            if state.present and not is_vmemmap(state) and _unmovable(state, skip_hwpoison):
                raise KernelError("EBUSY", f"unmovable page at pfn {lo:#x}: range not isolated")
        k.isolated.append((start_pfn, end_pfn))

    def test_pages_isolated(
        k: Kernel, start_pfn: int, end_pfn: int, skip_hwpoisoned_pages: bool = True
    ) -> None:
        """mm/page_isolation.c __test_page_isolated_in_pageblock() (3/4): skip Vmemmap."""
        if not any(lo <= start_pfn and end_pfn <= hi for lo, hi in k.isolated):
            raise KernelError("EBUSY", f"pfn {start_pfn:#x}-{end_pfn:#x} not isolated")
        for lo, _hi, state in struct_pages(k, start_pfn, end_pfn, "PageVmemmap"):
            free = "Buddy" in state.flags or (skip_hwpoisoned_pages and "HWPoison" in state.flags)
            if not free and not is_vmemmap(state):
                raise KernelError("EBUSY", f"pfn {lo:#x} is not free")

    def kfree_section_memmap(k: Kernel, nr: int, altmap: VmemAltmap | None) -> None:
        """mm/sparse.c __kfree_section_memmap() (3/4): within a range whose memmap it holds,
        each section drops the head's refcount; the last one frees the whole memmap."""
        c = k.config
        memmap = c.section_start_pfn(nr)
        start = c.page_va(memmap)
        end = c.page_va(memmap + c.pages_per_section)
        if _page_vmemmap(k, is_vmemmap, memmap) and not k.globals["in_vmemmap_range"]:
            k.globals["in_vmemmap_range"] = 1
            k.globals["head_vmemmap_page"] = start  # the struct page's address
        if k.globals["in_vmemmap_range"]:
            if k.call("vmemmap_dec_and_test"):
                k.call("free_deferred_vmemmap_range", start, end)
            return
        k.call("vmemmap_free", start, end, altmap)

    def vmemmap_dec_and_test(k: Kernel) -> bool:
        """mm/sparse.c vmemmap_dec_and_test() (3/4): page_ref_dec_and_test(head)."""
        c = k.config
        head = (k.globals["head_vmemmap_page"] - c.vmemmap_start) // c.struct_page_size
        count = k.pages.get(head).refcount - 1
        k.pages.set(head, head + 1, refcount=count)
        return bool(count == 0)

    def free_deferred_vmemmap_range(k: Kernel, start: int, end: int) -> None:
        """mm/sparse.c free_deferred_vmemmap_range() (3/4): vmemmap_free() section by
        section, backwards from the last down to the head's, with no altmap."""
        nr_bytes = end - start
        first_section = k.globals["head_vmemmap_page"]
        last = end
        while start >= first_section:
            k.call("vmemmap_free", start, end, None)
            end = start
            start -= nr_bytes
        _forget_unmapped(k, first_section, last)
        k.globals["head_vmemmap_page"] = 0
        k.globals["in_vmemmap_range"] = 0

    def free_memmap_block(k: Kernel, block: MemmapBlock, altmap: VmemAltmap | None) -> None:
        """arch/x86/mm/init_64.c free_pagetable(), arch/powerpc/mm/init_64.c vmemmap_free()
        (3/4): Vmemmap backing pages live in their own range; only their marks are cleared.
        Read without the mapped check: the kernel frees the table before pmd_clear()."""
        base = _base(k, "free_memmap_block")
        if k.config.arch not in ("x86_64", "ppc64") or (altmap is not None and block.altmap):
            base(k, block, altmap)
            return
        if not is_vmemmap(k.pages.get(block.pfn)):
            base(k, block, altmap)
            return
        # __ClearPageVmemmap(): Reserved cleared, mapping NULL
        k.pages.clear_flags(block.pfn, block.end_pfn, "Reserved", "Vmemmap", mapping=None)

    def sparse_remove_one_section(
        k: Kernel, nr: int, map_offset: int, altmap: VmemAltmap | None = None
    ) -> None:
        """mm/sparse.c: as the base; struct pages whose memmap 3/4 left mapped (deferred
        free) keep their contents, as memory does, instead of vanishing with the section."""
        c = k.config
        start = c.section_start_pfn(nr)
        end = start + c.pages_per_section
        kept: list[tuple[int, int, PageState]] = []

        def free_section_usemap(*args: Any) -> None:
            k.call("free_section_usemap", *args)
            kept.extend(k.pages.runs(start, end))

        calls = {"free_section_usemap": free_section_usemap}
        _base(k, "sparse_remove_one_section")(_rewritten(k, calls), nr, map_offset, altmap)
        if k.memmap_mapped(start, end):
            for lo, hi, state in kept:
                k.pages.change(lo, hi, partial(_kept_without_section, state))

    def vmemmap_populate(
        k: Kernel, start: int, end: int, nid: int, altmap: VmemAltmap | None
    ) -> None:
        """arch/arm64/mm/mmu.c vmemmap_populate() (3/4): the PMD comes from the altmap when
        there is one; the other arches as the base has them."""
        if k.config.arch == "arm64":
            populate_vmemmap(k, start, end, nid, altmap)
        else:
            _base(k, "vmemmap_populate")(k, start, end, nid, altmap)

    def mem_init(k: Kernel) -> None:
        """Boot, with the globals the series defines set as their definitions say (0 for
        a static without an initialiser)."""
        _base(k, "mem_init")(k)
        for name in text.initialisers:
            k.globals[name] = text.initial(name).value if text.initialisers[name] else 0

    return {
        "balloon_probe": _switch_off(text, "balloon_probe"),
        "balloon_init": _switch_off(text, "balloon_init"),
        "__add_pages": __add_pages,
        "init_altmap_memmap": init_altmap_memmap,
        "mark_vmemmap_pages": mark_vmemmap_pages,
        "online_pages_range": online_pages_range,
        "memmap_init_zone": memmap_init_zone,
        "start_isolate_page_range": start_isolate_page_range,
        "test_pages_isolated": test_pages_isolated,
        # mm/page_alloc.c (3/4 over 1/4): Vmemmap pages skipped, neither counted nor touched
        "__offline_isolated_pages": lambda k, s, e: _offline_isolated(k, s, e, is_vmemmap),
        "__offline_pages": lambda k, s, e: _offline_pages(k, s, e, is_vmemmap),
        "__kfree_section_memmap": kfree_section_memmap,
        "vmemmap_dec_and_test": vmemmap_dec_and_test,
        "free_deferred_vmemmap_range": free_deferred_vmemmap_range,
        "free_memmap_block": free_memmap_block,
        "sparse_remove_one_section": sparse_remove_one_section,
        "mem_init": mem_init,
        "vmemmap_populate": vmemmap_populate,
    }


def _switch_off(text: SeriesText, driver: str) -> Override:
    """drivers/hv/hv_balloon.c balloon_probe(), drivers/xen/balloon.c balloon_init() (3/4):
    the driver's line that sets hotplug_vmemmap_enabled."""
    line = text.line(driver, "hotplug_vmemmap_enabled")

    def run(k: Kernel) -> None:
        old = Value(int(k.globals["hotplug_vmemmap_enabled"]), INT)
        k.globals["hotplug_vmemmap_enabled"] = text.assign(line, old, {}).value

    run.__doc__ = _switch_off.__doc__
    return run


@lru_cache(maxsize=256)  # the same few states recur section after section
def _kept_without_section(state: PageState, _now: PageState) -> PageState:
    return dataclasses.replace(state, present=False)


def _forget_unmapped(k: Kernel, first_va: int, end_va: int) -> None:
    """Struct pages whose memmap is unmapped and whose section is gone are no more."""
    c = k.config
    lo = (first_va - c.vmemmap_start) // c.struct_page_size
    hi = (end_va - c.vmemmap_start) // c.struct_page_size
    for nr in range(c.section_nr(lo), c.section_nr(hi - 1) + 1):
        start = c.section_start_pfn(nr)
        if nr not in k.sections and not k.memmap_mapped(start, start + c.pages_per_section):
            k.pages.change(start, start + c.pages_per_section, lambda _: ABSENT)


# --- 4/4 mm, sparse: rename kmalloc_section_memmap, __kfree_section_memmap --------------


def _patch4(text: SeriesText, earlier: Mapping[str, Override]) -> dict[str, Override]:
    """The renamed functions keep their bodies; their callers call them by the new names.
    Which names and which callers: the rename changes and call lines of the patch itself."""
    renames = text.renames
    overrides: dict[str, Override] = {}
    for old, new in renames.items():
        overrides[new] = earlier.get(old) or _base_named(old)
    for caller in text.callers_of(tuple(renames.values())):
        overrides[caller] = _calling_new_names(earlier.get(caller), caller, renames)
    return overrides


def _base_named(name: str) -> Override:
    return lambda k, *args, **kwargs: _base(k, name)(k, *args, **kwargs)


def _calling_new_names(
    previous: Override | None, caller: str, renames: Mapping[str, str]
) -> Override:
    def run(k: Kernel, *args: Any, **kwargs: Any) -> Any:
        fn = previous or _base(k, caller)
        calls = {old: _call_named(k, new) for old, new in renames.items()}
        return fn(_rewritten(k, calls), *args, **kwargs)

    return run


def _call_named(k: Kernel, name: str) -> Override:
    return lambda *args, **kwargs: k.call(name, *args, **kwargs)


BUILDERS: tuple[Callable[[SeriesText, Mapping[str, Override]], dict[str, Override]], ...] = (
    _patch1,
    _patch2,
    _patch3,
    _patch4,
)
