"""What must hold after every step of a flow, whatever the stage: each rule a function of
the kernel state that returns its violations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from operator import attrgetter

from patchscope.model.memory_hotplug.kernel import Kernel
from patchscope.model.memory_hotplug.pages import ABSENT, PageState


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
    blocks = k.memmap_blocks()
    free_pages = k.pages.counts([(b.pfn, b.end_pfn) for b in blocks], _in_buddy)
    for block, free in zip(blocks, free_pages, strict=True):
        if free:
            yield Violation(
                "vmemmap-in-buddy",
                f"{free} pages backing memmap at pfn {block.pfn:#x} are free in the buddy",
            )


def memmap_backed_once(k: Kernel) -> Iterator[Violation]:
    """Every valid section's memmap is mapped, and no page backs two pieces of memmap."""
    for nr in _unmapped(k):
        yield Violation("memmap-backed-once", f"section {nr} is valid but its memmap is not")
    blocks = sorted(k.memmap_blocks(), key=_pfn)
    for before, after in pairwise(blocks):
        if after.pfn < before.end_pfn:
            yield Violation(
                "memmap-backed-once",
                f"pfn {after.pfn:#x} backs two pieces of memmap",
            )


def _unmapped(k: Kernel) -> list[int]:
    """The valid sections whose memmap is not mapped, in order. A stretch of consecutive
    valid sections whose memmap is mapped as a whole is fine section by section, so only
    a stretch with a hole is looked at closer (boot memory is hundreds of sections)."""
    shift = k.config.pfn_section_shift
    valid = sorted(nr for nr, section in k.sections.items() if section.has_mem_map)
    found: list[int] = []
    if valid and valid[-1] - valid[0] + 1 == len(valid):  # one stretch: the usual case
        lo, hi = valid[0], valid[-1]
        if k.memmap_mapped(lo << shift, (hi + 1) << shift):
            return found
    i = 0
    while i < len(valid):
        j = i
        while j + 1 < len(valid) and valid[j + 1] == valid[j] + 1:
            j += 1
        lo, hi = valid[i], valid[j]
        if not k.memmap_mapped(lo << shift, (hi + 1) << shift):
            found += [nr for nr in range(lo, hi + 1) if not _mapped(k, nr)]
        i = j + 1
    return found


def _mapped(k: Kernel, nr: int) -> bool:
    shift = k.config.pfn_section_shift
    return k.memmap_mapped(nr << shift, (nr + 1) << shift)


def nothing_left(k: Kernel) -> Iterator[Violation]:
    """A range its caller removed (or whose add failed) leaves no section, memory block,
    struct page or memmap behind; with no hot-added memory left at all, the globals are
    back to their boot values."""
    for start, size in k.released:
        yield from _leftovers(k, start, size)
    if k.requests and not any(_sections_in(k, r.start, r.size) for r in k.requests):
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
    marked = k.pages.count(lo, hi, _marked)
    if marked:
        yield Violation("nothing-left", f"{where}: {marked} struct pages still marked")
    if any(lo <= b.pfn < hi for b in k.memmap_blocks()):
        yield Violation("nothing-left", f"{where}: memmap still backed by its pages")
    if any(r.start < start + size and start < r.end for r in k.iomem):
        yield Violation("nothing-left", f"{where}: still System RAM in iomem")


def _sections_in(k: Kernel, start: int, size: int) -> bool:
    """Whether a section starts in [start, start+size): looked up by number, so a check
    costs the sections of the requests, not every section the kernel has."""
    section = k.config.section_size
    first, last = -(-start // section), (start + size - 1) // section
    return any(nr in k.sections for nr in range(first, last + 1))


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


def _in_buddy(state: PageState) -> bool:
    return "Buddy" in state.flags


def _marked(state: PageState) -> bool:
    return state is not ABSENT  # stored states are interned (pages.py): equal is identical


_pfn = attrgetter("pfn")

RULES: tuple[Callable[[Kernel], Iterator[Violation]], ...] = (
    accounting,
    bugs,
    vmemmap_in_buddy,
    memmap_backed_once,
    nothing_left,
    memory_block_api,
)
