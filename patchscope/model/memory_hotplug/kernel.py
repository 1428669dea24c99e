"""The one mutable object of a replay: configuration, stage, kernel state and the trace.

Every modelled kernel function is a module-level `def name(k, ...)` registered with
@kernel_function under its kernel name; one kernel function calls another only through
`k.call(name, ...)`, which lets a stage (the series after patch N) replace any of them and
records every call in the trace.
"""

from __future__ import annotations

import copy
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol, TypeVar, overload

from patchscope.model.memory_hotplug.config import Config, ModelInputError
from patchscope.model.memory_hotplug.pages import PageRuns

F = TypeVar("F", bound=Callable[..., Any])

ERRNO = {"EINTR": 4, "ENXIO": 6, "ENOMEM": 12, "EBUSY": 16, "EEXIST": 17, "EINVAL": 22}


class KernelError(Exception):
    """A modelled -errno return: raised where the kernel function fails, caught where the
    kernel checks the return value. An outcome of a flow, not bad user input."""

    def __init__(self, errno: str, message: str) -> None:
        super().__init__(f"-{errno}: {message}")
        self.errno = errno
        self.message = message

    @property
    def value(self) -> int:
        return -ERRNO[self.errno]


# --- dispatch ---------------------------------------------------------------------------

_GENERIC: dict[str, Callable[..., Any]] = {}
_PER_ARCH: dict[tuple[str, str], Callable[..., Any]] = {}


def kernel_function(name: str | None = None, *, arch: str | None = None) -> Callable[[F], F]:
    """Register a model of a kernel function under its kernel name (default: the Python name).

    `arch` registers an arch's own implementation (arch_add_memory, vmemmap_populate...):
    `k.call` picks the one of `k.config.arch`.
    """

    def register(fn: F) -> F:
        key = name or fn.__name__
        table_key = (arch, key) if arch else key
        registry: dict[Any, Callable[..., Any]] = _PER_ARCH if arch else _GENERIC
        if table_key in registry:
            raise RuntimeError(f"kernel function {key} registered twice ({arch or 'generic'})")
        registry[table_key] = fn
        return fn

    return register


def model_helper(fn: F) -> F:
    """Register a step of the model that no kernel function is named after (one the kernel
    does inline, or spread over several functions): a stage may replace it as it replaces a
    kernel function, and `Kernel.helper` runs it without a trace entry of its own."""
    _MODEL_ONLY.add(fn.__name__)
    return kernel_function()(fn)


_MODEL_ONLY: set[str] = set()


def base_function(arch: str, name: str) -> Callable[..., Any]:
    """The base tree's model of `name` on `arch` (what a stage without overrides runs)."""
    fn = _PER_ARCH.get((arch, name)) or _GENERIC.get(name)
    if fn is None:
        raise LookupError(f"no model of kernel function {name}")
    return fn


def registered_functions() -> list[str]:
    """Every kernel function name the base model knows, generic and per arch."""
    return sorted((set(_GENERIC) - _MODEL_ONLY) | {name for _, name in _PER_ARCH})


class StageLike(Protocol):
    """What the kernel needs of a stage (stages.Stage is the real one)."""

    @property
    def number(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def overrides(self) -> Mapping[str, Callable[..., Any]]: ...
    @property
    def constants(self) -> Mapping[str, int]: ...


@dataclass(frozen=True)
class BaseStage:
    """Stage 0, the base tree: no overrides, no constants."""

    number: int = 0
    name: str = "base"
    overrides: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    constants: Mapping[str, int] = field(default_factory=dict)


class TraceEntry(NamedTuple):
    step: str
    stage: int
    function: str
    depth: int
    raw_args: tuple[Any, ...]  # plain values (see Trace)
    raw_kwargs: dict[str, Any] | None

    @property
    def args(self) -> str:
        """The call's arguments as a short line (formatted when read: most are never
        printed)."""
        return _short(self.raw_args, self.raw_kwargs or {})

    def to_json(self) -> dict[str, object]:
        return {
            "step": self.step,
            "stage": self.stage,
            "function": self.function,
            "depth": self.depth,
            "args": self.args,
        }


# Argument types a trace keeps as they are; of any other argument a trace line shows only
# its type name, so that name is all that is kept.
_PLAIN = frozenset({int, str, bool, type(None)})


class Trace(Sequence[TraceEntry]):
    """Every modelled call so far, in order.

    Calls are kept flat, six plain values each (an argument that is an object is kept as
    its type name, all a trace line shows of it) in one list: no container per call that
    the garbage collector would have to track. A 1 TiB lifecycle records some 400,000
    calls, and entries it kept tracking (or holding on to live objects) made every full
    collection walk them all, a third of the run's time. Entries are made when read.
    """

    WIDTH = len(TraceEntry._fields)

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def __len__(self) -> int:
        return len(self.calls) // self.WIDTH

    def copy(self) -> Trace:
        other = Trace()
        other.calls = list(self.calls)  # its entries are plain values, never changed
        return other

    @overload
    def __getitem__(self, index: int) -> TraceEntry: ...
    @overload
    def __getitem__(self, index: slice) -> list[TraceEntry]: ...
    def __getitem__(self, index: int | slice) -> TraceEntry | list[TraceEntry]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        at = range(len(self))[index] * self.WIDTH
        return TraceEntry._make(self.calls[at : at + self.WIDTH])

    def __iter__(self) -> Iterator[TraceEntry]:
        return map(TraceEntry._make, zip(*[iter(self.calls)] * self.WIDTH, strict=True))


_PLACE = {name: i for i, name in enumerate(TraceEntry._fields)}  # in Trace's flat list


class TraceRecord(Mapping[str, object]):
    """One call of a trace as the JSON object `TraceEntry.to_json` gives, read off the flat
    list when asked: a replay keeps every call, and most are never looked at."""

    __slots__ = ("_at", "_calls")
    KEYS = ("step", "stage", "function", "depth", "args")

    def __init__(self, calls: list[Any], at: int) -> None:
        self._calls, self._at = calls, at

    def __getitem__(self, key: str) -> object:
        at = self._at
        if key == "args":
            return _short(self._calls[at + 4], self._calls[at + 5] or {})
        if key not in self.KEYS:
            raise KeyError(key)
        return self._calls[at + _PLACE[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)


class TraceRecords(Sequence[TraceRecord]):
    """A finished trace's calls as TraceRecords, each made when it is read: a check replays
    each scenario at every stage and reads none of their calls."""

    __slots__ = ("_calls",)

    def __init__(self, calls: list[Any]) -> None:
        self._calls = calls

    def __len__(self) -> int:
        return len(self._calls) // Trace.WIDTH

    @overload
    def __getitem__(self, index: int) -> TraceRecord: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[TraceRecord, ...]: ...
    def __getitem__(self, index: int | slice) -> TraceRecord | tuple[TraceRecord, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        return TraceRecord(self._calls, range(len(self))[index] * Trace.WIDTH)

    def __iter__(self) -> Iterator[TraceRecord]:
        calls = self._calls
        return (TraceRecord(calls, at) for at in range(0, len(calls), Trace.WIDTH))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TraceRecords):
            return self._calls == other._calls
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]  # equal by value, so not hashable


def _plain(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple([v if type(v) in _PLAIN else type(v).__name__ for v in values])


@dataclass(frozen=True)
class Bug:
    """A BUG()/VM_BUG_ON() the modelled kernel hit; the flow goes on, the invariants report it."""

    kind: str  # "poisoned-read", "memmap-use-after-free", "kernel-bug"
    message: str
    step: str
    at: int = 0  # calls in the trace when it was hit: the chain of calls that led to it


# --- state ------------------------------------------------------------------------------


@dataclass
class Zone:
    """struct zone (include/linux/mmzone.h): span, counters and the buddy's free lists."""

    name: str
    nid: int
    zone_start_pfn: int = 0
    spanned_pages: int = 0
    present_pages: int = 0
    managed_pages: int = 0
    free_area: list[FreeArea] = field(default_factory=list)

    @property
    def zone_end_pfn(self) -> int:
        return self.zone_start_pfn + self.spanned_pages

    def contains(self, pfn: int) -> bool:
        return self.spanned_pages > 0 and self.zone_start_pfn <= pfn < self.zone_end_pfn

    def copy(self) -> Zone:
        return replace(self, free_area=[area.copy() for area in self.free_area])


class FreeArea:
    """One order's free list, as sorted runs of blocks that follow each other.

    The kernel links free blocks in a list; the model keeps them as runs (a `range` of
    block start pfns stepping by the block size) so that a pfn range (a memory block being
    offlined) is found by bisection and a terabyte onlined is a handful of runs, not a
    quarter of a million entries to shift. Written by hand: the stdlib has no sorted set,
    and a per-page structure would defeat the run-length model.
    """

    def __init__(self, order: int) -> None:
        self.step = 1 << order
        self._runs: list[range] = []
        self._starts: list[int] = []  # each run's first block, for bisection
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def copy(self) -> FreeArea:
        other = FreeArea(0)
        other.step, other._count = self.step, self._count
        other._runs, other._starts = list(self._runs), list(self._starts)  # ranges: immutable
        return other

    def __iter__(self) -> Iterator[int]:
        """Block start pfns, lowest first."""
        for run in self._runs:
            yield from run

    def __contains__(self, pfn: int) -> bool:
        i = bisect_right(self._starts, pfn) - 1
        return i >= 0 and pfn in self._runs[i]

    def add(self, pfn: int) -> None:
        self.add_many(range(pfn, pfn + self.step, self.step))

    def add_many(self, pfns: range) -> None:
        """Insert a stride of blocks at once (a max-order run onlined or booted)."""
        if not pfns:
            return
        i = bisect_right(self._starts, pfns.start)
        lo, hi = i, i
        first, stop = pfns.start, pfns.stop
        if i and self._runs[i - 1].stop == first:  # joins the run before it
            lo, first = i - 1, self._runs[i - 1].start
        if i < len(self._runs) and self._runs[i].start == stop:  # and the one after it
            hi, stop = i + 1, self._runs[i].stop
        self._runs[lo:hi] = [range(first, stop, self.step)]
        self._starts[lo:hi] = [first]
        self._count += len(pfns)

    def add_each(self, pfns: Iterable[int]) -> None:
        """Insert many single blocks at once (a fragmented node's thousands): the runs are
        laid down anew, each as long as the blocks follow each other."""
        blocks = sorted({*self, *pfns})
        runs: list[range] = []
        for pfn in blocks:
            if runs and runs[-1].stop == pfn:
                runs[-1] = range(runs[-1].start, pfn + self.step, self.step)
            else:
                runs.append(range(pfn, pfn + self.step, self.step))
        self._runs, self._starts = runs, [run.start for run in runs]
        self._count = len(blocks)

    def discard(self, pfn: int) -> bool:
        return bool(self.take_range(pfn, pfn + 1))

    def take_range(self, start: int, end: int) -> list[int]:
        """Remove and return the blocks starting in [start, end)."""
        if not self._count:
            return []
        lo = max(bisect_right(self._starts, start) - 1, 0)
        hi = bisect_left(self._starts, end)
        taken: list[int] = []
        kept: list[range] = []
        for run in self._runs[lo:hi]:
            a, b = self._position(run, start), self._position(run, end)
            taken.extend(run[a:b])
            kept += [piece for piece in (run[:a], run[b:]) if piece]
        if taken:
            self._runs[lo:hi] = kept
            self._starts[lo:hi] = [run.start for run in kept]
            self._count -= len(taken)
        return taken

    def _position(self, run: range, pfn: int) -> int:
        """Index in `run` of its first block starting at or after pfn."""
        return min(max(-(-(pfn - run.start) // self.step), 0), len(run))


def free_areas(max_order: int) -> list[FreeArea]:
    """zone->free_area[0..MAX_ORDER-1], all empty."""
    return [FreeArea(order) for order in range(max_order)]


@dataclass
class Node:
    """pg_data_t: its zones and the node-wide counters kept beside the zones' ones."""

    nid: int
    zones: dict[str, Zone]
    node_start_pfn: int = 0
    node_spanned_pages: int = 0
    node_present_pages: int = 0

    def copy(self) -> Node:
        return replace(self, zones={name: zone.copy() for name, zone in self.zones.items()})


@dataclass(frozen=True)
class MemmapBlock:
    """Pages that back memmap: a vmemmap mapping, or a !VMEMMAP section's mem_map."""

    nid: int
    pfn: int
    order: int
    altmap: bool  # carved from a vmem_altmap (inside a hot-added range), not the buddy

    @property
    def end_pfn(self) -> int:
        return self.pfn + (1 << self.order)


@dataclass
class MemSection:
    """struct mem_section: SECTION_MARKED_PRESENT, SECTION_HAS_MEM_MAP, SECTION_IS_ONLINE."""

    nr: int
    nid: int
    present: bool = True
    has_mem_map: bool = False
    online: bool = False
    usemap: bool = False
    mem_map: MemmapBlock | None = None  # only without SPARSEMEM_VMEMMAP


@dataclass
class MemoryBlock:
    """struct memory_block (drivers/base/memory.c): /sys/devices/system/memory/memoryN.

    Its online state is read from its sections (Kernel.memory_block_state), so that a flow
    that calls online_pages() directly leaves the same state the sysfs path would."""

    id: int
    nid: int
    section_count: int = 0


@dataclass
class VmemAltmap:
    """struct vmem_altmap (include/linux/memremap.h): pages of a range lent to its own memmap."""

    base_pfn: int
    free: int
    reserve: int = 0
    align: int = 0
    alloc: int = 0


@dataclass(frozen=True)
class Resource:
    """A "System RAM" entry of iomem, half-open in bytes."""

    start: int
    end: int


@dataclass(frozen=True)
class HotplugRequest:
    """What a caller of the hotplug API asked for, so invariants can hold the kernel to it."""

    nid: int
    start: int
    size: int
    memory_block_api: bool
    driver: str


@dataclass(frozen=True)
class Snapshot:
    """Frozen counters at one moment, flat "node0.Normal.present_pages" -> value."""

    values: tuple[tuple[str, int], ...]

    def as_dict(self) -> dict[str, int]:
        return dict(self.values)

    def delta(self, before: Snapshot) -> dict[str, int]:
        """Counters that changed since `before` (new minus old)."""
        old = before.as_dict()
        return {
            key: value - old.get(key, 0) for key, value in self.values if value != old.get(key, 0)
        }


class Kernel:
    """The modelled kernel. Construct with `Kernel(config)`; it boots its boot memory."""

    def __init__(self, config: Config, stage: StageLike | None = None) -> None:
        self.config = config
        self.stage: StageLike = stage or BaseStage()
        self.pages = PageRuns()
        self.nodes: dict[int, Node] = {}
        self.sections: dict[int, MemSection] = {}
        self.memory_blocks: dict[int, MemoryBlock] = {}
        self.vmemmap: dict[int, MemmapBlock] = {}  # vmemmap page index -> backing
        self.iomem: list[Resource] = []
        self.holes: list[Resource] = []  # firmware leaves these out of any System RAM
        self.isolated: list[tuple[int, int]] = []  # pfn ranges of MIGRATE_ISOLATE pageblocks
        self.requests: list[HotplugRequest] = []
        self.released: list[tuple[int, int]] = []  # (start, size) callers expect gone
        self.globals: dict[str, Any] = {
            "online_page_callback": "generic_online_page",
            "num_poisoned_pages": 0,
            "memhp_auto_online": False,
            "mem_hotplug_lock": False,
        }
        self.totalram_pages = 0
        self.max_pfn = config.pfn(config.boot_memory_end)
        self.order_allocations: list[tuple[int, int]] = []  # (order, pfn) of each allocation
        self.bugs: list[Bug] = []
        self.bugs_reported = 0  # invariants.check() reports each bug once
        self.trace = Trace()
        self._step = "boot"
        self._depth = 0
        self._stage_number = self.stage.number
        self._functions: dict[str, Callable[..., Any]] = {}  # name -> the stage's model of it
        self.call("mem_init")
        self.boot_globals = dict(self.globals)
        self.trace.calls.clear()
        self.order_allocations.clear()
        self._step = ""

    def fork(self) -> Kernel:
        """This kernel as it is now, to go on from here apart: replays whose flows begin
        with the same steps run them once. Every container of state is copied; what they
        hold is immutable (or, for sections, memory blocks and zones, copied too)."""
        other = copy.copy(self)  # configuration, stage, counters and the step in progress
        other.pages = self.pages.copy()
        other.nodes = {nid: node.copy() for nid, node in self.nodes.items()}
        other.sections = {nr: replace(s) for nr, s in self.sections.items()}
        other.memory_blocks = {i: replace(b) for i, b in self.memory_blocks.items()}
        other.vmemmap = dict(self.vmemmap)
        other.iomem, other.holes = list(self.iomem), list(self.holes)
        other.isolated = list(self.isolated)
        other.requests, other.released = list(self.requests), list(self.released)
        other.globals, other.boot_globals = dict(self.globals), dict(self.boot_globals)
        other.order_allocations = list(self.order_allocations)
        other.bugs = list(self.bugs)
        other.trace = self.trace.copy()
        other._functions = dict(self._functions)
        return other

    # dispatch

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run kernel function `name` as this stage has it, recording the call."""
        fn = self._functions.get(name) or self._function(name)
        return self._run(name, fn, args, kwargs)

    def helper(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run a @model_helper as this stage has it; the kernel functions it calls are
        traced, the helper itself is not."""
        return self._function(name)(self, *args, **kwargs)

    def _function(self, name: str) -> Callable[..., Any]:
        fn = self._functions.get(name)
        if fn is None:
            fn = self.stage.overrides.get(name) or base_function(self.config.arch, name)
            self._functions[name] = fn
        return fn

    def call_base(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run the base tree's `name`, for an override that wraps the original behaviour."""
        return self._run(name, base_function(self.config.arch, name), args, kwargs)

    def _run(
        self, name: str, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        kept = args if _PLAIN.issuperset(map(type, args)) else _plain(args)
        keywords = (
            dict(zip(kwargs, _plain(tuple(kwargs.values())), strict=True)) if kwargs else None
        )
        self.trace.calls += (self._step, self._stage_number, name, self._depth, kept, keywords)
        self._depth += 1
        try:
            return fn(self, *args, **kwargs)
        finally:
            self._depth -= 1

    def constant(self, name: str) -> int:
        """A constant the stage's series defines (evaluated from its own text)."""
        return self.stage.constants[name]

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Group the calls made inside into one flow step of the trace."""
        outer = self._step
        self._step = name
        try:
            yield
        finally:
            self._step = outer

    @property
    def current_step(self) -> str:
        return self._step

    def bug(self, kind: str, message: str) -> None:
        """Record a BUG()/VM_BUG_ON(): the model keeps going so every later effect shows."""
        self.bugs.append(Bug(kind, message, self._step, len(self.trace)))

    def record_hotplug(
        self, nid: int, start: int, size: int, memory_block_api: bool, driver: str
    ) -> None:
        """Note what a caller asked of the hotplug API (add_memory does, devm callers too)."""
        self.requests.append(HotplugRequest(nid, start, size, memory_block_api, driver))
        end = start + size
        self.released = [(s, n) for s, n in self.released if s + n <= start or end <= s]

    def record_release(self, start: int, size: int) -> None:
        """Note that a caller expects [start, start+size) gone (a remove, or a failed add)."""
        self.released.append((start, size))

    def memory_block_state(self, block_id: int) -> str:
        """mem->state: "online" once every section of the block is online."""
        c = self.config
        first = block_id * c.sections_per_block
        sections = [self.sections.get(nr) for nr in range(first, first + c.sections_per_block)]
        online = all(s is not None and s.online for s in sections)
        return "online" if online else "offline"

    def _blocks_online(self, online_sections: list[int]) -> int:
        """How many memory blocks memory_block_state() calls online, counted in one pass
        over the online sections: a block is online when all its sections are."""
        per = self.config.sections_per_block
        online = Counter(nr // per for nr in online_sections)
        return sum(online[b] == per for b in self.memory_blocks)

    # the machine a flow starts from: not kernel functions, so not traced

    def fragment(self, nid: int, order: int) -> None:
        """Leave node `nid` with no free block of `order` or above: each such block is split
        into blocks of order-1 and every other one is taken away (allocated, never freed),
        so memory stays free but nothing of `order` can form again."""
        if not 0 < order < self.config.max_order:
            raise ModelInputError(
                f"fragment: order {order} is not one a free block can be split down from "
                f"(1..{self.config.max_order - 1})"
            )
        step = 1 << (order - 1)
        taken: list[tuple[int, int]] = []
        for zone in self.nodes[nid].zones.values():
            kept: list[int] = []
            for have in range(order, self.config.max_order):
                for pfn in zone.free_area[have].take_range(0, 1 << 62):
                    halves = range(pfn, pfn + (1 << have), 2 * step)
                    kept.extend(halves)
                    taken.extend((half + step, half + 2 * step) for half in halves)
            zone.free_area[order - 1].add_each(kept)
        self.pages.clear_flags_each(sorted(taken), "Buddy", refcount=1)

    def add_hole(self, pfn: int, nr_pages: int) -> None:
        """Firmware describes no RAM at [pfn, pfn + nr_pages): System RAM registered later
        leaves it out, and whatever is registered already loses it."""
        hole = Resource(pfn << self.config.page_shift, (pfn + nr_pages) << self.config.page_shift)
        self.holes.append(hole)
        self.iomem = cut_resources(self.iomem, hole)

    def hwpoison(self, pfn: int) -> None:
        """A memory error at pfn (machine check): memory_failure()."""
        self.call("memory_failure", pfn)

    # lookups the kernel does through macros

    def zone_of(self, pfn: int) -> Zone | None:
        """page_zone() without the poison check: the zone the page's flags link it to."""
        section = self.sections.get(self.config.section_nr(pfn))
        name = self.pages.get(pfn).zone
        if section is None or name is None:
            return None
        return self.nodes[section.nid].zones.get(name)

    def memmap_mapped(self, start_pfn: int, end_pfn: int) -> bool:
        """Whether every struct page of [start_pfn, end_pfn) sits in mapped, live memmap."""
        c = self.config
        if not c.sparsemem_vmemmap:
            first, last = c.section_nr(start_pfn), c.section_nr(end_pfn - 1)
            return all(
                (s := self.sections.get(nr)) is not None and s.mem_map is not None
                for nr in range(first, last + 1)
            )
        va, size, shift = c.vmemmap_start, c.struct_page_size, c.vmemmap_page_shift
        first = (va + start_pfn * size) >> shift  # page_va(), inline: it is read on every read
        last = (va + end_pfn * size - 1) >> shift
        if first == last:  # most reads are of one struct page
            return first in self.vmemmap
        return all(i in self.vmemmap for i in range(first, last + 1))

    def memmap_blocks(self) -> list[MemmapBlock]:
        """Every allocation that backs memmap, vmemmap mappings and mem_maps alike."""
        blocks = list(self.vmemmap.values())
        blocks += [s.mem_map for s in self.sections.values() if s.mem_map is not None]
        return blocks

    def snapshot(self) -> Snapshot:
        values: list[tuple[str, int]] = []
        for node in self.nodes.values():
            values.append((f"node{node.nid}.present_pages", node.node_present_pages))
            values.append((f"node{node.nid}.spanned_pages", node.node_spanned_pages))
            for zone in node.zones.values():
                prefix = f"node{node.nid}.{zone.name}"
                values += [
                    (f"{prefix}.spanned_pages", zone.spanned_pages),
                    (f"{prefix}.present_pages", zone.present_pages),
                    (f"{prefix}.managed_pages", zone.managed_pages),
                    (f"{prefix}.free_pages", nr_free_pages(zone)),
                ]
        online = [nr for nr, s in self.sections.items() if s.online]
        values += [
            ("sections_present", sum(s.present for s in self.sections.values())),
            ("sections_online", len(online)),
            ("memory_blocks", len(self.memory_blocks)),
            ("memory_blocks_online", self._blocks_online(online)),
            ("memmap_backing_pages", sum(1 << b.order for b in self.memmap_blocks())),
            ("totalram_pages", self.totalram_pages),
            ("order_allocations", len(self.order_allocations)),
        ]
        return Snapshot(tuple(values))


def cut_resources(resources: list[Resource], hole: Resource) -> list[Resource]:
    """The resources with [hole.start, hole.end) cut out of them (split where needed)."""
    kept: list[Resource] = []
    for r in resources:
        if r.end <= hole.start or hole.end <= r.start:
            kept.append(r)
            continue
        pieces = (Resource(r.start, hole.start), Resource(hole.end, r.end))
        kept += [p for p in pieces if p.start < p.end]
    return kept


def nr_free_pages(zone: Zone) -> int:
    return sum(len(area) << order for order, area in enumerate(zone.free_area))


def _short(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """A trace line's arguments: numbers in hex past a page, objects by type name."""
    parts = [_one(a) for a in args]
    if kwargs:
        parts += [f"{key}={_one(v)}" for key, v in kwargs.items()]
    text = ", ".join(parts)
    return text if len(text) <= 100 else text[:97] + "..."


def _one(value: Any) -> str:
    kind = type(value)
    if kind is int:
        return hex(value) if value >= 4096 or value <= -4096 else str(value)
    if kind is str:
        return str(value)
    if kind is bool or value is None:
        return str(value)
    return kind.__name__
