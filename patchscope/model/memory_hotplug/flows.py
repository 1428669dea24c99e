"""Named, parameterised hotplug flows, and their replay on one stage of a series.

A flow drives the model the way a user or a driver drives the kernel: `add_memory`
from the driver that found the memory, onlining through the sysfs memory blocks,
offline, remove. Each flow is a generator that yields after every step so that the
replay can check the invariants between steps.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from patchscope.errors import PatchscopeError
from patchscope.findings import Finding
from patchscope.model.memory_hotplug import invariants
from patchscope.model.memory_hotplug.config import Config, config_for, parse_size
from patchscope.model.memory_hotplug.kconfig import config_fields, option
from patchscope.model.memory_hotplug.kernel import (
    Kernel,
    KernelError,
    TraceRecords,
    VmemAltmap,
    base_function,
    registered_functions,
)
from patchscope.model.memory_hotplug.observe import observables
from patchscope.model.memory_hotplug.stages import Decision, Stage, recording

Driver = Literal["acpi", "hyperv", "xen", "devm"]
OnlineType = Literal["movable", "kernel"]
DRIVERS: tuple[str, ...] = ("acpi", "hyperv", "xen", "devm")
# devm_memremap_pages() callers: device memory, no memory blocks, removed by their release
DEVICE_DRIVERS: tuple[str, ...] = ("devm",)
ONLINE_TYPES: tuple[str, ...] = ("movable", "kernel")
GIB = 1 << 30
# What a driver runs once before it adds memory (its probe/init), by kernel name.
DRIVER_INIT: Mapping[str, str] = {"hyperv": "balloon_probe", "xen": "balloon_init"}
# Bytes a driver hands add_memory() at a time, where it does not add its range at once:
# drivers/hv/hv_balloon.c hv_mem_hot_add() adds HA_CHUNK (128 MiB) per call.
DRIVER_CHUNK: Mapping[str, int] = {"hyperv": 128 << 20}
TRACE_TAIL = 8  # trace entries a finding carries as evidence
CHAIN_DEPTH = 3  # a step's calls down to this depth outline it, where no BUG() points


class FlowError(PatchscopeError):
    """A flow name or parameter the model cannot replay."""


@dataclass(frozen=True)
class FlowParams:
    arch: str = "x86_64"
    size: int = 2 * GIB
    start: int = 4 * GIB
    block_size: int | None = None  # None: the arch's (or x86_64's probed) memory block size
    driver: Driver = "acpi"
    # Kconfig symbols (CONFIG_DEBUG_VM=0) and machine keys (nr_nodes=2), a later one winning
    config: tuple[tuple[str, int], ...] = ()
    online_type: OnlineType = "movable"
    blocks: tuple[int, ...] | None = None  # memory blocks of the range, in order; None: all
    holes: tuple[tuple[int, int], ...] = ()  # (offset, size) in bytes: not System RAM
    hwpoison: tuple[int, ...] = ()  # page offsets into the range that are HWPoison
    fragment: int | None = None  # node 0 has no free block of this order or above
    nid: int = 0
    altmap: bool = False  # devm: the driver lends its range to its own memmap (pgmap->altmap)
    chunk: int | None = None  # bytes per add_memory() call; None: as the driver does it

    def to_json(self) -> dict[str, Any]:
        # each field as it is (asdict() copies every tuple deep first), the tuples made JSON
        document = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        document["config"] = dict(self.config)
        document["blocks"] = None if self.blocks is None else list(self.blocks)
        document["holes"] = [list(h) for h in self.holes]
        document["hwpoison"] = list(self.hwpoison)
        return document


def parse_params(**given: Any) -> FlowParams:
    """FlowParams from CLI-shaped text: sizes as 4G/128M/0x100000000, config KEY=VALUE."""
    params: dict[str, Any] = {}
    for key in ("size", "start", "block_size", "chunk"):
        if given.get(key) is not None:
            params[key] = _size(key, given[key])
    if given.get("config"):
        params["config"] = _config_items(given["config"])
    for key in ("arch", "driver", "online_type"):
        if given.get(key) is not None:
            params[key] = given[key]
    if params.get("driver", "acpi") not in DRIVERS:
        raise FlowError(f"unknown driver '{params['driver']}' (one of {', '.join(DRIVERS)})")
    if params.get("online_type", "movable") not in ONLINE_TYPES:
        raise FlowError(f"unknown online type '{params['online_type']}'")
    return FlowParams(**params)


def _size(key: str, text: str | int) -> int:
    if isinstance(text, int):
        return text
    try:
        return parse_size(text)
    except PatchscopeError as exc:
        raise FlowError(f"--{key.replace('_', '-')}: {exc}") from None


def _config_items(items: Sequence[str]) -> tuple[tuple[str, int], ...]:
    options = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise FlowError(f"--config wants KEY=VALUE, got '{item}'")
        if (one := option(key.strip(), value.strip())) is not None:
            options.append(one)
    return tuple(options)


def make_config(p: FlowParams) -> Config:
    overrides = config_fields(p.arch, p.config)
    if p.block_size is not None:
        overrides["memory_block_size"] = p.block_size
    return config_for(p.arch, **overrides)


# --- the flows --------------------------------------------------------------------------

Steps = Iterator[str]


def _blocks(k: Kernel, p: FlowParams) -> list[int]:
    """The memory block ids of the range, in the order asked for (by index in the range)."""
    per = k.config.memory_block_size
    count = max(1, p.size // per)
    order = p.blocks if p.blocks is not None else tuple(range(count))
    if any(not 0 <= b < count for b in order):
        raise FlowError(f"memory blocks are numbered 0..{count - 1} in this range")
    first = p.start // per
    return [first + b for b in order]


def _known(k: Kernel, name: str) -> bool:
    return name in k.stage.overrides or name in registered_functions()


def chunk_of(p: FlowParams) -> int | None:
    """What each add_memory() call of the driver covers (None: the whole range at once)."""
    chunk = p.chunk if p.chunk is not None else DRIVER_CHUNK.get(p.driver)
    if chunk is not None and chunk <= 0:
        raise FlowError(f"--chunk {chunk} is not a positive size")
    if chunk is not None and p.driver in DEVICE_DRIVERS:
        raise FlowError(f"a {p.driver} driver maps its range in one devm_memremap_pages()")
    return chunk


def added(p: FlowParams) -> FlowParams:
    """The range as the driver adds it: in chunks, the region is rounded out to whole
    chunks (hv_balloon.c process_hot_add(): start rounded down, size rounded up, each on
    its own), and online, offline and remove work on that region."""
    chunk = chunk_of(p)
    if chunk is None:
        return p
    start = p.start // chunk * chunk
    return dataclasses.replace(p, start=start, size=-(-p.size // chunk) * chunk)


def hot_add(k: Kernel, p: FlowParams) -> Steps:
    p, chunk = added(p), chunk_of(p)
    init = DRIVER_INIT.get(p.driver)
    if init is not None and _known(k, init):
        with k.step(f"{p.driver} driver init"):
            k.call(init)
        yield f"{p.driver} driver init"
    if p.driver in DEVICE_DRIVERS:
        with k.step("hot-add"):
            _require_add_pages(k, p)
            k.call("devm_memremap_pages", p.nid, p.start, p.size, _driver_altmap(k, p))
        yield "hot-add"
        return
    if chunk is None:
        with k.step("hot-add"):
            k.call("add_memory", p.nid, p.start, p.size, p.driver)
        yield "hot-add"
        return
    for start in range(p.start, p.start + p.size, chunk):
        name = f"hot-add {start:#x}"
        with k.step(name):
            k.call("add_memory", p.nid, start, chunk, p.driver)
        yield name


def _require_add_pages(k: Kernel, p: FlowParams) -> None:
    """Device-private memory goes through the arch's add_pages(), modelled for x86_64 only."""
    try:
        base_function(k.config.arch, "add_pages")
    except LookupError:
        raise FlowError(f"no model of add_pages() on {k.config.arch} for {p.driver}") from None


def _driver_altmap(k: Kernel, p: FlowParams) -> VmemAltmap | None:
    """pgmap->altmap as a device driver sets it up: every page of the range lendable."""
    if not p.altmap:
        return None
    return VmemAltmap(base_pfn=k.config.pfn(p.start), free=k.config.pfn(p.size))


def online(k: Kernel, p: FlowParams) -> Steps:
    for block in _blocks(k, added(p)):
        name = f"online memory{block}"
        with k.step(name):
            k.call("memory_block_action", block, "online", p.online_type)
        yield name
    for page in p.hwpoison:
        with k.step("hwpoison"):
            k.hwpoison((p.start >> k.config.page_shift) + page)
        yield "hwpoison"


def offline(k: Kernel, p: FlowParams) -> Steps:
    for block in _blocks(k, added(p)):
        name = f"offline memory{block}"
        with k.step(name):
            k.call("memory_block_action", block, "offline")
        yield name


def hot_remove(k: Kernel, p: FlowParams) -> Steps:
    p = added(p)
    if p.driver in DEVICE_DRIVERS:
        if p.blocks is not None:
            raise FlowError(f"a {p.driver} range has no memory blocks to remove one by one")
        with k.step("hot-remove"):
            k.call("devm_memremap_pages_release", p.start, p.size)
        yield "hot-remove"
        return
    if p.blocks is None:
        with k.step("hot-remove"):
            k.call("remove_memory", p.nid, p.start, p.size)
        yield "hot-remove"
        return
    size = k.config.memory_block_size
    for block in _blocks(k, p):
        name = f"hot-remove memory{block}"
        with k.step(name):
            k.call("remove_memory", p.nid, block * size, size)
        yield name


@dataclass(frozen=True)
class Part:
    """Steps a flow takes in turn, with the flow's parameters but for those `fixed` here
    (offline onlines every block, whatever `blocks` asks of the offline)."""

    steps: Callable[[Kernel, FlowParams], Steps]
    fixed: tuple[tuple[str, Any], ...] = ()

    def params(self, p: FlowParams) -> FlowParams:
        return dataclasses.replace(p, **dict(self.fixed)) if self.fixed else p


ALL_BLOCKS = (("blocks", None),)
ADD, ONLINE, OFFLINE, REMOVE = Part(hot_add), Part(online), Part(offline), Part(hot_remove)
# every block onlined; `blocks` chooses what is offlined (and removed), in that order
ONLINED = (Part(hot_add, ALL_BLOCKS), Part(online, ALL_BLOCKS))


@dataclass(frozen=True)
class Flow:
    name: str
    doc: str
    params: tuple[str, ...]  # the FlowParams fields this flow reads
    parts: tuple[Part, ...]  # its steps: those of each part in turn
    defaults: Mapping[str, Any] = field(default_factory=dict)  # for the failure flows

    def run(self, k: Kernel, p: FlowParams) -> Steps:
        for part in self.parts:
            yield from part.steps(k, part.params(p))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "doc": self.doc, "params": list(self.params)}


_ADD = (
    "arch",
    "size",
    "start",
    "block_size",
    "driver",
    "chunk",
    "config",
    "fragment",
    "nid",
    "altmap",
)
_ONLINE = (*_ADD, "online_type", "blocks")
_OFFLINE = (*_ONLINE, "holes", "hwpoison")

FLOWS: dict[str, Flow] = {
    f.name: f
    for f in (
        Flow("hot-add", "add_memory() of the range by the driver", _ADD, (ADD,)),
        Flow("online", "hot-add, then online the memory blocks", _ONLINE, (ADD, ONLINE)),
        Flow("offline", "hot-add, online, then offline the blocks", _OFFLINE, (*ONLINED, OFFLINE)),
        Flow(
            "hot-remove",
            "hot-add, then remove_memory() of the range (or block by block)",
            _ONLINE,
            (ADD, REMOVE),
        ),
        Flow(
            "lifecycle",
            "hot-add, online, offline, hot-remove in turn",
            _OFFLINE,
            (*ONLINED, OFFLINE, REMOVE),
        ),
        Flow(
            "hot-add-no-order8",
            "ppc64 hot-add while node 0 has no free order-8 block for the vmemmap",
            _ADD,
            (ADD,),
            # from 16 GiB: past the 16 MiB vmemmap page the boot memory's memmap populated
            {"arch": "ppc64", "fragment": 8, "size": GIB, "start": 16 * GIB},
        ),
        Flow(
            "offline-hwpoison",
            "offline a range that holds an HWPoison page",
            _OFFLINE,
            (*ONLINED, OFFLINE),
            {"hwpoison": (12345,)},
        ),
    )
}


# --- replay -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One invariant broken after one step of a replay, and what led there."""

    name: str  # the invariant
    message: str
    steps: tuple[str, ...]  # the flow's steps up to the one after which it broke
    chain: tuple[str, ...]  # kernel calls that led to it, outermost first
    decisions: tuple[Decision, ...]  # series lines the step evaluated, each value once
    function: str | None = None  # where a BUG() was hit; None for a state invariant


@dataclass(frozen=True)
class Replay:
    flow: str
    arch: str
    stage: int
    params: Mapping[str, Any]
    observables: Mapping[str, Any]
    trace: Sequence[Mapping[str, Any]]
    findings: tuple[Finding, ...]
    steps: tuple[Mapping[str, Any], ...] = ()  # each flow step and its counter deltas
    hits: tuple[Hit, ...] = ()  # the findings' causes, as data (not part of the JSON)

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "arch": self.arch,
            "stage": self.stage,
            "params": dict(self.params),
            "observables": dict(self.observables),
            "trace": [dict(t) for t in self.trace],
            "findings": [f.to_json() for f in self.findings],
            "steps": [dict(s) for s in self.steps],
        }


def flow_named(name: str) -> Flow:
    if name not in FLOWS:
        raise FlowError(f"unknown flow '{name}' (one of {', '.join(sorted(FLOWS))})")
    return FLOWS[name]


def with_defaults(flow: Flow, p: FlowParams, given: Sequence[str] = ()) -> FlowParams:
    """A failure flow's own parameters, where the caller did not give that parameter."""
    keep = {key: value for key, value in flow.defaults.items() if key not in given}
    return dataclasses.replace(p, **keep)


def replay(
    flow: Flow, params: FlowParams, stages: Sequence[Stage], *, stage: int | None = None
) -> Replay:
    """Run `flow` on a fresh kernel at `stage` (default: the last), checking invariants
    after every step; a kernel error ends the flow as the kernel would report it."""
    return replay_flows((flow,), params, stages, stage=stage)[0]


def replay_flows(
    flows: Sequence[Flow], params: FlowParams, stages: Sequence[Stage], *, stage: int | None = None
) -> list[Replay]:
    """Each flow replayed as `replay` replays it, all with the same parameters at one stage;
    the parts that flows begin with alike run once, on a kernel forked where they part."""
    chosen = stages[-1] if stage is None else stage_of(stages, stage)
    k = Kernel(make_config(params), chosen)
    _prepare(k, params)
    done: dict[int, Replay] = {}
    _go_on(_Run(k, chosen.number), list(enumerate(flows)), 0, params, done)
    return [done[i] for i in range(len(flows))]


def _go_on(
    run: _Run, flows: list[tuple[int, Flow]], taken: int, p: FlowParams, done: dict[int, Replay]
) -> None:
    """The flows have run their first `taken` parts on `run`: those with none left (or that
    a kernel error ended) are replayed; the others go on by their next part, the flows
    whose next part is the same (steps and parameters) on one kernel."""
    ending: list[tuple[int, Flow]] = []
    going: dict[tuple[object, FlowParams], list[tuple[int, Flow]]] = {}
    for i, flow in flows:
        if run.error or len(flow.parts) == taken:
            ending.append((i, flow))
        else:
            part = flow.parts[taken]
            going.setdefault((part.steps, part.params(p)), []).append((i, flow))
    for i, flow in ending:
        done[i] = run.replay(flow, p, going_on=bool(going))
    for n, alike in enumerate(going.values()):
        branch = run if n == len(going) - 1 else run.fork()
        branch.take(alike[0][1].parts[taken], p)
        _go_on(branch, alike, taken + 1, p, done)


class _Run:
    """A replay under way: its kernel, the invariants checked after each step, each step's
    counter changes, and the series lines evaluated since the last check."""

    def __init__(self, k: Kernel, stage: int) -> None:
        self.k, self.stage = k, stage
        self.checked = _Checked(k, stage)
        self.deltas: list[dict[str, Any]] = []
        self.before, self.error = k.snapshot(), ""
        self.decided: list[Decision] = []

    def take(self, part: Part, p: FlowParams) -> None:
        """The part's steps, the invariants checked after each; a kernel error ends them."""
        k, checked, decided = self.k, self.checked, self.decided
        with recording(decided):
            try:
                for name in part.steps(k, part.params(p)):
                    checked.after(name, decided)
                    now = k.snapshot()
                    self.deltas.append({"step": name, "delta": now.delta(self.before)})
                    self.before = now
            except KernelError as exc:
                self.error = exc.errno
                checked.after("after -" + exc.errno, decided)
                step = f"-{exc.errno}: {exc.message}"
                self.deltas.append({"step": step, "delta": k.snapshot().delta(self.before)})

    def fork(self) -> _Run:
        other = copy.copy(self)
        other.k = self.k.fork()
        other.checked = self.checked.fork(other.k)
        other.deltas, other.decided = list(self.deltas), list(self.decided)
        return other

    def replay(self, flow: Flow, p: FlowParams, *, going_on: bool) -> Replay:
        """The flow's replay as the run stands; `going_on`: the run goes on for other flows,
        so the replay keeps a copy of the calls so far."""
        k = self.k
        seen = observables(k, p.start, p.size)
        calls = list(k.trace.calls) if going_on else k.trace.calls
        return Replay(
            flow=flow.name,
            arch=p.arch,
            stage=self.stage,
            params=p.to_json(),
            observables={**seen, "error": self.error},
            trace=TraceRecords(calls),
            findings=tuple(self.checked.findings),
            steps=tuple(self.deltas),
            hits=tuple(self.checked.hits),
        )


def stage_of(stages: Sequence[Stage], number: int) -> Stage:
    """Stage `number` of a series, or the one-line error naming the stages there are."""
    for s in stages:
        if s.number == number:
            return s
    raise FlowError(f"no stage {number}: stages are 0..{stages[-1].number}")


def _prepare(k: Kernel, p: FlowParams) -> None:
    """The machine before the flow: a node left with no free block of some order, holes
    in what firmware describes as RAM."""
    if p.fragment is not None:
        if p.nid not in k.nodes:
            raise FlowError(f"no node {p.nid} to fragment")
        k.fragment(p.nid, p.fragment)
    shift = k.config.page_shift
    for offset, size in p.holes:
        k.add_hole((p.start + offset) >> shift, size >> shift)


class _Checked:
    """The invariants checked after each step: findings as `replay` shows them, and hits
    with the chain of calls and the series lines behind each."""

    def __init__(self, k: Kernel, stage: int) -> None:
        self.k, self.stage = k, stage
        self.findings: list[Finding] = []
        self.hits: list[Hit] = []
        self.steps: list[str] = []
        self.start = len(k.trace)  # where the current step's calls begin

    def fork(self, k: Kernel) -> _Checked:
        other = copy.copy(self)
        other.k = k
        other.findings, other.hits = list(self.findings), list(self.hits)
        other.steps = list(self.steps)
        return other

    def after(self, step: str, decided: list[Decision]) -> None:
        k = self.k
        self.steps.append(step)
        found = invariants.check(k)
        tail = tuple(_line(t) for t in k.trace[-TRACE_TAIL:]) if found else ()
        decisions = tuple(dict.fromkeys(decided)) if found else ()
        outline: tuple[str, ...] | None = None  # the step's, for every state invariant
        for v in found:
            self.findings.append(
                Finding(
                    rule=f"invariant-{v.name}",
                    severity="error",
                    message=f"stage {self.stage}, after {step}: {v.message}",
                    patch=self.stage or None,
                    evidence=(f"step: {step}", *tail),
                )
            )
            if v.at is None and outline is None:
                outline = _outline(k, self.start)
            chain = _stack(k, v.at) if v.at is not None else outline or ()
            function = chain[-1] if v.at is not None and chain else None
            hit = Hit(v.name, v.message, tuple(self.steps), chain, decisions, function)
            self.hits.append(hit)
        decided.clear()
        self.start = len(k.trace)


def _stack(k: Kernel, at: int) -> tuple[str, ...]:
    """The calls still open when the trace held `at` calls: the last one and its callers
    (read off the flat trace: a step may hold thousands of calls)."""
    calls, width = k.trace.calls, k.trace.WIDTH
    chain: list[str] = []
    depth = None
    for i in range((at - 1) * width, -1, -width):
        if depth is None or calls[i + 3] < depth:
            chain.append(calls[i + 2])
            depth = calls[i + 3]
            if depth == 0:
                break
    return tuple(reversed(chain))


def _outline(k: Kernel, start: int) -> tuple[str, ...]:
    """A step's calls down to CHAIN_DEPTH, each name once, in the order they ran."""
    calls = k.trace.calls
    names = (
        calls[i + 2]
        for i in range(start * k.trace.WIDTH, len(calls), k.trace.WIDTH)
        if calls[i + 3] < CHAIN_DEPTH
    )
    return tuple(dict.fromkeys(names))


def _line(t: Any) -> str:
    return f"{'  ' * t.depth}{t.function}({t.args})"


def delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The observables that differ between two replays: {name: [before, after]}."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def replay_all(flow: Flow, params: FlowParams, stages: Sequence[Stage]) -> list[dict[str, Any]]:
    """Every stage in turn, each with its delta against the stage before it."""
    out: list[dict[str, Any]] = []
    previous: Mapping[str, Any] = {}
    for s in stages:
        r = replay(flow, params, stages, stage=s.number)
        out.append({**r.to_json(), "delta": delta(previous, r.observables) if out else {}})
        previous = r.observables
    return out
