"""Named, parameterised hotplug flows, and their replay on one stage of a series.

A flow drives the model the way a user or a driver drives the kernel: `add_memory`
from the driver that found the memory, onlining through the sysfs memory blocks,
offline, remove. Each flow is a generator that yields after every step so that the
replay can check the invariants between steps.
"""

from __future__ import annotations

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
    VmemAltmap,
    base_function,
    registered_functions,
    trace_records,
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
        document = dataclasses.asdict(self)
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


def lifecycle(k: Kernel, p: FlowParams) -> Steps:
    """Every block onlined; `blocks` chooses what is offlined and removed, in that order."""
    yield from add_online_offline(k, p)
    yield from hot_remove(k, p)


def add_and_online(k: Kernel, p: FlowParams) -> Steps:
    yield from hot_add(k, p)
    yield from online(k, p)


def add_online_offline(k: Kernel, p: FlowParams) -> Steps:
    """Every block onlined; `blocks` chooses what is offlined, in that order."""
    yield from add_and_online(k, dataclasses.replace(p, blocks=None))
    yield from offline(k, p)


def add_and_remove(k: Kernel, p: FlowParams) -> Steps:
    yield from hot_add(k, p)
    yield from hot_remove(k, p)


@dataclass(frozen=True)
class Flow:
    name: str
    doc: str
    params: tuple[str, ...]  # the FlowParams fields this flow reads
    run: Callable[[Kernel, FlowParams], Steps]
    defaults: Mapping[str, Any] = field(default_factory=dict)  # for the failure flows

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
        Flow("hot-add", "add_memory() of the range by the driver", _ADD, hot_add),
        Flow("online", "hot-add, then online the memory blocks", _ONLINE, add_and_online),
        Flow("offline", "hot-add, online, then offline the blocks", _OFFLINE, add_online_offline),
        Flow(
            "hot-remove",
            "hot-add, then remove_memory() of the range (or block by block)",
            _ONLINE,
            add_and_remove,
        ),
        Flow("lifecycle", "hot-add, online, offline, hot-remove in turn", _OFFLINE, lifecycle),
        Flow(
            "hot-add-no-order8",
            "ppc64 hot-add while node 0 has no free order-8 block for the vmemmap",
            _ADD,
            hot_add,
            # from 16 GiB: past the 16 MiB vmemmap page the boot memory's memmap populated
            {"arch": "ppc64", "fragment": 8, "size": GIB, "start": 16 * GIB},
        ),
        Flow(
            "offline-hwpoison",
            "offline a range that holds an HWPoison page",
            _OFFLINE,
            add_online_offline,
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
    chosen = stages[-1] if stage is None else stage_of(stages, stage)
    k = Kernel(make_config(params), chosen)
    _prepare(k, params)
    checked = _Checked(k, chosen.number)
    deltas: list[dict[str, Any]] = []
    before, error = k.snapshot(), ""
    with recording() as decided:
        try:
            for name in flow.run(k, params):
                checked.after(name, decided)
                now = k.snapshot()
                deltas.append({"step": name, "delta": now.delta(before)})
                before = now
        except KernelError as exc:
            error = exc.errno
            checked.after("after -" + exc.errno, decided)
            step = f"-{exc.errno}: {exc.message}"
            deltas.append({"step": step, "delta": k.snapshot().delta(before)})
    seen = observables(k, params.start, params.size)
    return Replay(
        flow=flow.name,
        arch=params.arch,
        stage=chosen.number,
        params=params.to_json(),
        observables={**seen, "error": error},
        trace=trace_records(k.trace),
        findings=tuple(checked.findings),
        steps=tuple(deltas),
        hits=tuple(checked.hits),
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

    def after(self, step: str, decided: list[Decision]) -> None:
        k = self.k
        self.steps.append(step)
        found = invariants.check(k)
        tail = tuple(_line(t) for t in k.trace[-TRACE_TAIL:])
        decisions = tuple(dict.fromkeys(decided))
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
            chain = _stack(k, v.at) if v.at is not None else _outline(k, self.start)
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
