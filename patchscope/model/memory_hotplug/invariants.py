"""What must hold after every step of a flow, whatever the stage: each rule a function of
the kernel state that returns its violations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise

from patchscope.model.memory_hotplug.kernel import Kernel
from patchscope.model.memory_hotplug.pages import ABSENT


@dataclass(frozen=True)
class Violation:
    name: str
    message: str
    at: int | None = None  # a BUG()'s place in the trace (see Kernel.bug)


def check(k: Kernel) -> list[Violation]:
    """Every invariant's violations now. BUG()s the kernel hit are reported once each, at
    the first check after them."""
    found = [v for rule in RULES for v in rule(k)]
    k.bugs_reported = len(k.bugs)
    return found


def accounting(k: Kernel) -> Iterator[Violation]:
    """managed <= present <= spanned per zone; zones add up to their node, nodes' managed
    pages to totalram_pages."""
    managed = 0
    for node in k.nodes.values():
        for zone in node.zones.values():
            where = f"node {node.nid} zone {zone.name}"
            if not 0 <= zone.managed_pages <= zone.present_pages <= zone.spanned_pages:
                yield Violation(
                    "accounting",
                    f"{where}: managed {zone.managed_pages}, present {zone.present_pages}, "
                    f"spanned {zone.spanned_pages}",
                )
            managed += zone.managed_pages
        zones_present = sum(z.present_pages for z in node.zones.values())
        if zones_present != node.node_present_pages:
            yield Violation(
                "accounting",
                f"node {node.nid}: present {node.node_present_pages}, its zones {zones_present}",
            )
    if managed != k.totalram_pages:
        yield Violation(
            "accounting", f"totalram_pages {k.totalram_pages}, zones' managed {managed}"
        )


def bugs(k: Kernel) -> Iterator[Violation]:
    """BUG()/VM_BUG_ON() hits: a poisoned struct page read by a PageXxx() test under
    DEBUG_VM_PGFLAGS, memmap read after its backing was freed, other BUG_ON()s."""
    for bug in k.bugs[k.bugs_reported :]:
        yield Violation(bug.kind, f"{bug.message} (in {bug.step or 'no step'})", bug.at)


def vmemmap_in_buddy(k: Kernel) -> Iterator[Violation]:
    """Pages that back memmap must never be free in the buddy."""
    for block in k.memmap_blocks():
        free = k.pages.count(block.pfn, block.end_pfn, lambda s: "Buddy" in s.flags)
        if free:
            yield Violation(
                "vmemmap-in-buddy",
                f"{free} pages backing memmap at pfn {block.pfn:#x} are free in the buddy",
            )


def memmap_backed_once(k: Kernel) -> Iterator[Violation]:
    """Every valid section's memmap is mapped, and no page backs two pieces of memmap."""
    c = k.config
    for nr, section in sorted(k.sections.items()):
        start = c.section_start_pfn(nr)
        if section.has_mem_map and not k.memmap_mapped(start, start + c.pages_per_section):
            yield Violation("memmap-backed-once", f"section {nr} is valid but its memmap is not")
    blocks = sorted(k.memmap_blocks(), key=lambda b: b.pfn)
    for before, after in pairwise(blocks):
        if after.pfn < before.end_pfn:
            yield Violation(
                "memmap-backed-once",
                f"pfn {after.pfn:#x} backs two pieces of memmap",
            )


def nothing_left(k: Kernel) -> Iterator[Violation]:
    """A range its caller removed (or whose add failed) leaves no section, memory block,
    struct page or memmap behind; with no hot-added memory left at all, the globals are
    back to their boot values."""
    c = k.config
    for start, size in k.released:
        yield from _leftovers(k, start, size)
    hotplugged = any(_in_requests(k, c.section_start_pfn(nr)) for nr in k.sections)
    if k.requests and not hotplugged:
        changed = sorted(
            key for key, value in k.globals.items() if k.boot_globals.get(key) != value
        )
        if changed:
            yield Violation(
                "nothing-left", f"globals left changed after the last remove: {', '.join(changed)}"
            )


def _leftovers(k: Kernel, start: int, size: int) -> Iterator[Violation]:
    c = k.config
    lo, hi = c.pfn(start), c.pfn(start + size)
    where = f"removed range {start:#x}-{start + size:#x}"
    section_nrs = range(c.section_nr(lo), c.section_nr(hi - 1) + 1)
    sections = [nr for nr in section_nrs if nr in k.sections]
    if sections:
        yield Violation("nothing-left", f"{where}: {len(sections)} sections still there")
    if {nr // c.sections_per_block for nr in section_nrs} & set(k.memory_blocks):
        yield Violation("nothing-left", f"{where}: memory blocks still registered")
    marked = k.pages.count(lo, hi, lambda s: s != ABSENT)
    if marked:
        yield Violation("nothing-left", f"{where}: {marked} struct pages still marked")
    if any(lo <= b.pfn < hi for b in k.memmap_blocks()):
        yield Violation("nothing-left", f"{where}: memmap still backed by its pages")
    if any(r.start < start + size and start < r.end for r in k.iomem):
        yield Violation("nothing-left", f"{where}: still System RAM in iomem")


def _in_requests(k: Kernel, pfn: int) -> bool:
    addr = pfn << k.config.page_shift
    return any(r.start <= addr < r.start + r.size for r in k.requests)


def memory_block_api(k: Kernel) -> Iterator[Violation]:
    """A memory block exists for a hot-added section exactly when its caller asked for the
    memory-block API; each request's wrong blocks are counted in one violation."""
    c = k.config
    for req in k.requests:
        lo, hi = c.pfn(req.start), c.pfn(req.start + req.size)
        blocks: set[int] = set()
        wrong: set[int] = set()
        for nr in range(c.section_nr(lo), c.section_nr(hi - 1) + 1):
            section = k.sections.get(nr)
            if section is None or not section.present:
                continue
            block = nr // c.sections_per_block
            blocks.add(block)
            if (block in k.memory_blocks) != req.memory_block_api:
                wrong.add(block)
        if wrong:
            asked = "asked for" if req.memory_block_api else "not asked for"
            state = "not registered" if req.memory_block_api else "registered"
            yield Violation(
                "memory-block-api",
                f"{len(wrong)} of {len(blocks)} memory blocks from section "
                f"{min(wrong) * c.sections_per_block}: memory-block API {asked}, {state}",
            )


RULES: tuple[Callable[[Kernel], Iterator[Violation]], ...] = (
    accounting,
    bugs,
    vmemmap_in_buddy,
    memmap_backed_once,
    nothing_left,
    memory_block_api,
)
