"""Exploration: the flows the author did not try.

Hypothesis draws sequences of hot-add, online, offline and hot-remove over a few memory
blocks (whole ranges or parts, in any order), with failures injected between them (a
fragmented node, an HWPoison page); each sequence runs on a fresh kernel at one stage and
the invariants are checked after every step. A sequence that breaks one is shrunk by
Hypothesis to a minimal one and reported as a finding `explore-<invariant>`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING, Literal

from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from patchscope.findings import Finding

if TYPE_CHECKING:
    from patchscope.model.memory_hotplug.config import Config
    from patchscope.model.memory_hotplug.flows import Flow, FlowParams
    from patchscope.model.memory_hotplug.kernel import Kernel
    from patchscope.model.memory_hotplug.stages import Stage

BLOCKS = 4  # memory blocks in the explored range, right above boot memory
# Buddy orders a fragmented node lacks: those memmap allocations ask for (ppc64's 16 MiB
# vmemmap pages are order 8, x86_64's 2 MiB PMDs order 9) and the largest; splitting a
# node down to low orders costs seconds and starves nothing the hotplug paths allocate.
FRAGMENT_ORDERS = (8, 10)
MODEL_ERROR = "model-error"  # the model itself raised: a bug of the model, shown the same way
Kind = Literal["add", "online", "offline", "remove", "fragment", "hwpoison"]


@dataclass(frozen=True)
class Op:
    """One step: `first`/`count` are memory blocks of the range (for fragment, `first` is the
    buddy order left without free blocks; for hwpoison, `count` is a page in block `first`)."""

    kind: Kind
    first: int
    count: int = 1
    movable: bool = True

    def describe(self) -> str:
        if self.kind == "fragment":
            return f"fragment node 0: no free block of order >= {self.first}"
        if self.kind == "hwpoison":
            return f"hwpoison page {self.count} of block {self.first}"
        if self.kind == "online":
            return f"online block {self.first} ({'movable' if self.movable else 'kernel'})"
        return f"{self.kind} blocks {self.first}..{self.first + self.count - 1}"


def _ranged(kind: Kind) -> st.SearchStrategy[Op]:
    return st.integers(0, BLOCKS - 1).flatmap(
        lambda first: st.builds(Op, st.just(kind), st.just(first), st.integers(1, BLOCKS - first))
    )


OPS: st.SearchStrategy[Op] = st.one_of(
    _ranged("add"),
    st.builds(Op, st.just("online"), st.integers(0, BLOCKS - 1), st.just(1), st.booleans()),
    st.builds(Op, st.just("offline"), st.integers(0, BLOCKS - 1)),
    _ranged("remove"),
    st.builds(
        Op, st.just("fragment"), st.integers(FRAGMENT_ORDERS[0], FRAGMENT_ORDERS[1]), st.just(1)
    ),
    st.builds(Op, st.just("hwpoison"), st.integers(0, BLOCKS - 1), st.integers(0, 4095)),
)
SEQUENCES = st.lists(OPS, min_size=1, max_size=8)


@dataclass(frozen=True)
class Broken:
    """The first step of a sequence after which invariants fail, and which ones."""

    step: int
    names: tuple[str, ...]
    messages: tuple[str, ...]


def range_start(config: Config) -> int:
    """The first block boundary at or above the end of boot memory."""
    block = config.memory_block_size
    return -(-config.boot_memory_end // block) * block


def apply(k: Kernel, op: Op, start: int) -> None:
    """Drive the kernel as a user or driver can: add_memory of any range, the sysfs state file
    of a registered block, remove_memory of added, offline blocks (a driver's eject offlines
    first and removes only what it added); failures are set up as the flows set them up."""
    c = k.config
    block = c.memory_block_size
    first_id = start // block + op.first
    if op.kind == "add":
        k.call("add_memory", 0, start + op.first * block, op.count * block)
    elif op.kind == "remove":
        ids = range(first_id, first_id + op.count)
        if all(i in k.memory_blocks and k.memory_block_state(i) == "offline" for i in ids):
            k.call("remove_memory", 0, start + op.first * block, op.count * block)
    elif op.kind in ("online", "offline"):
        if first_id in k.memory_blocks:
            online_type = "movable" if op.movable else "kernel"
            k.call("memory_block_action", first_id, op.kind, online_type)
    elif op.kind == "fragment":
        k.fragment(0, op.first)
    else:
        k.hwpoison(((start + op.first * block) >> c.page_shift) + op.count)


def run(
    config: Config, stage: Stage, ops: Sequence[Op], ignore: frozenset[str] = frozenset()
) -> Broken | None:
    """Replay `ops` on a fresh kernel; a -errno is an outcome, a broken invariant is not.
    Invariants in `ignore` (found already) do not stop the sequence, so a search can look
    past them for the next one."""
    from patchscope.model.memory_hotplug import invariants
    from patchscope.model.memory_hotplug.kernel import Kernel, KernelError

    k = Kernel(config, stage)
    start = range_start(config)
    for i, op in enumerate(ops):
        try:
            with k.step(op.describe()):
                apply(k, op, start)
        except KernelError:
            pass
        except Exception as exc:  # any other exception is the model's own failure
            return Broken(i, (MODEL_ERROR,), (f"{type(exc).__name__}: {exc}",))
        found = [v for v in invariants.check(k) if v.name not in ignore]
        if found:
            return Broken(i, tuple(v.name for v in found), tuple(v.message for v in found))
    return None


@dataclass(frozen=True)
class Budget:
    examples: int = 200  # sequences Hypothesis may try per search
    searches: int = 8  # distinct invariants to look for per stage
    seed: int = 0  # the searches' random seed: the same seed, the same sequences


@dataclass(frozen=True)
class Found:
    """A shrunk sequence and what it breaks, new to its search."""

    ops: tuple[Op, ...]
    broken: Broken
    names: tuple[str, ...]  # the invariants this search found first


def search_stage(config: Config, stage: Stage, budget: Budget = Budget()) -> list[Found]:
    """One search per invariant not yet broken; each search's sequence is shrunk, so it is
    a minimal way to break the invariant. No example database: nothing is written."""
    known: set[str] = set()
    found: list[Found] = []
    chosen = settings(
        max_examples=budget.examples,
        derandomize=False,
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        # find() reports no failure, so nothing is explained: with the explain phase every
        # run after the first failure went under sys.settrace, and the search took 2-3x
        phases=[phase for phase in Phase if phase is not Phase.explain],
    )
    for _ in range(budget.searches):
        ignore = frozenset(known)
        ran: dict[tuple[Op, ...], Broken | None] = {}
        breaks = _breaks(config, stage, ignore, ran)
        try:
            with _cache_for_hypothesis():
                ops = find(SEQUENCES, breaks, settings=chosen, random=Random(budget.seed))
        except NoSuchExample:
            break
        broken = ran[tuple(ops)]
        assert broken is not None  # find() returns only a sequence that breaks something
        new = tuple(dict.fromkeys(broken.names))
        known.update(new)
        found.append(Found(tuple(ops), broken, new))
    return found


@contextlib.contextmanager
def _cache_for_hypothesis() -> Iterator[None]:
    """Hypothesis caches what it reads of the source under ./.hypothesis; a search keeps
    that in patchscope's cache folder instead, so nothing lands where the user stands."""
    from hypothesis.configuration import set_hypothesis_home_dir

    from patchscope.ingest.lore import cache_dir

    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    set_hypothesis_home_dir(cache_dir() / "hypothesis")
    try:
        yield
    finally:
        set_hypothesis_home_dir(None)


def explore_stage(config: Config, stage: Stage, budget: Budget = Budget()) -> list[Finding]:
    """The searches' sequences as findings, one per invariant first broken."""
    return [
        _finding(config, stage, f.ops, f.broken, name)
        for f in search_stage(config, stage, budget)
        for name in f.names
    ]


def _breaks(
    config: Config,
    stage: Stage,
    ignore: frozenset[str],
    ran: dict[tuple[Op, ...], Broken | None],
) -> Callable[[list[Op]], bool]:
    """Whether a sequence breaks an invariant not in `ignore`; what each sequence broke is
    kept in `ran`: Hypothesis runs the sequence it settles on again, and so would we."""

    def breaks(ops: list[Op]) -> bool:
        key = tuple(ops)
        if key not in ran:
            ran[key] = run(config, stage, ops, ignore)
        return ran[key] is not None

    return breaks


def _finding(config: Config, stage: Stage, ops: Sequence[Op], broken: Broken, name: str) -> Finding:
    message = broken.messages[broken.names.index(name)]
    steps = [f"{i + 1}. {op.describe()}" for i, op in enumerate(ops[: broken.step + 1])]
    return Finding(
        rule=f"explore-{name}",
        severity="error",
        message=f"stage {stage.number} ({config.arch}): after step {broken.step + 1}: {message}",
        patch=stage.number or None,
        evidence=tuple(steps),
    )


def explore(
    stages: Sequence[Stage], arches: Sequence[str] = ("x86_64",), budget: Budget = Budget()
) -> list[Finding]:
    """Every stage on every arch asked for, each with its own searches."""
    from patchscope.model.memory_hotplug.flows import FlowParams, make_config

    found: list[Finding] = []
    for arch in arches:
        config = make_config(FlowParams(arch=arch))
        for stage in stages:
            found.extend(explore_stage(config, stage, budget))
    return found


def as_flow(ops: Sequence[Op]) -> Flow:
    """The sequence as a flow, so that `replay` runs it at any stage, invariants checked
    after each step and the hits kept; as in `run`, a -errno ends only its own step."""
    from patchscope.model.memory_hotplug.flows import Flow, Part
    from patchscope.model.memory_hotplug.kernel import KernelError

    def steps(k: Kernel, _params: FlowParams) -> Iterator[str]:
        start = range_start(k.config)
        for op in ops:
            name = op.describe()
            with k.step(name), contextlib.suppress(KernelError):
                apply(k, op, start)
            yield name

    return Flow("explored", "; ".join(op.describe() for op in ops), (), (Part(steps),))
