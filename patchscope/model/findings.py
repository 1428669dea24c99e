"""The model's discoveries as review findings: one per cause, at the patch that brings it.

Every scenario of the verdicts (each standard flow on each modelled arch, the balloon
drivers, device memory with and without an altmap, removal in pieces) is replayed at every
stage, and a small seeded exploration searches the last stage for sequences no scenario
tries; each sequence it finds is replayed at every stage too. An invariant broken after a
step is a *hit*; hits whose messages differ only in numbers (a pfn, a section, a memory
block) share a cause, so sixteen memory blocks hitting one cause make one finding that says
sixteen. A cause belongs to the first stage that shows it: stage 0 is the base tree (info,
against no patch), stage k is patch k's doing, and the first later stage without it names
the patch that makes it disappear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from patchscope.findings import Finding, Severity, sort_findings
from patchscope.model.memory_hotplug.kconfig import BOOLS

if TYPE_CHECKING:
    from patchscope.model.explore import Op
    from patchscope.model.memory_hotplug.flows import FlowParams, Hit, Replay
    from patchscope.model.memory_hotplug.stages import Stage
    from patchscope.model.verdicts import Scenario

# invariant -> (rule, severity, what a reviewer is told it means)
RULES: Mapping[str, tuple[str, Severity, str]] = {
    "poisoned-read": ("model-poisoned-read", "error", "poisoned struct page read"),
    "kernel-bug": ("model-kernel-bug", "error", "kernel BUG"),
    "memmap-use-after-free": ("model-kernel-bug", "error", "memmap read after it was freed"),
    "warning": ("model-kernel-bug", "warning", "kernel WARN_ON"),
    "nothing-left": ("model-leftover-state", "error", "state left after remove"),
    "memory-block-api": ("model-lost-memory-blocks", "error", "memory blocks lost"),
    "accounting": ("model-accounting", "error", "page accounting broken"),
    "vmemmap-in-buddy": ("model-memmap-backing", "error", "memmap backing freed to the buddy"),
    "memmap-backed-once": ("model-memmap-backing", "error", "memmap backing wrong"),
    "model-error": ("model-error", "warning", "the model itself failed"),
}
BASE_TREE = "in the base tree"
Cause = tuple[str, str, str]
SHOWN = 6  # other scenarios, decisive lines: how many a finding lists
_NUMBER = re.compile(r"-?(?:0x[0-9a-f]+|[0-9]+)", re.IGNORECASE)
_WHERE = re.compile(r" \(in .*\)$")  # the step a BUG() message names


@dataclass(frozen=True)
class Budget:
    """How hard `check` and `explore` look: the scenarios always, then these searches."""

    examples: int = 5  # sequences per exploration search
    searches: int = 2  # invariants looked for per arch
    seed: int = 0
    arches: tuple[str, ...] = ("x86_64", "s390")
    stage: int | None = None  # the stage explored; None: the last


DEFAULT_BUDGET = Budget()


@dataclass(frozen=True)
class Seen:
    """The hits of one cause in one replay: a scenario (or explored sequence) at one stage."""

    label: str
    params: FlowParams
    stage: int
    hits: tuple[Hit, ...]

    @property
    def times(self) -> int:
        """How many of the flow's steps hit the cause."""
        return len({h.steps for h in self.hits})


def cause(hit: Hit, renamed: Mapping[str, str]) -> Cause:
    """A cause: the invariant, its message without the numbers and the step, and the
    function a BUG() was hit in (one test in two functions is two causes), by the name it
    had before a patch renamed it."""
    function = renamed.get(hit.function or "", hit.function or "")
    return hit.name, _NUMBER.sub("#", _WHERE.sub("", hit.message)), function


def sightings(
    replays: Iterable[tuple[str, FlowParams, Replay]], renamed: Mapping[str, str] | None = None
) -> dict[Cause, list[Seen]]:
    """Each cause and the replays that hit it, in the order given; `renamed` maps a
    function's new name to its old one."""
    found: dict[Cause, list[Seen]] = {}
    for label, params, r in replays:
        by_cause: dict[Cause, list[Hit]] = {}
        for hit in r.hits:
            by_cause.setdefault(cause(hit, renamed or {}), []).append(hit)
        for key, hits in by_cause.items():
            found.setdefault(key, []).append(Seen(label, params, r.stage, tuple(hits)))
    return found


def finding(key: Cause, seen: Sequence[Seen], last: int) -> Finding:
    """One cause as a finding: at its first stage, with what shows it best."""
    name = key[0]
    rule, severity, title = RULES.get(name, (f"model-{name}", "error", name))
    stages = sorted({s.stage for s in seen})
    first = stages[0]
    at_first = [s for s in seen if s.stage == first]
    primary = max(at_first, key=lambda s: s.times)  # first of the most hit, for the count
    shown, shortest = min(
        ((s, h) for s in at_first for h in s.hits), key=lambda sh: len(sh[1].steps)
    )
    gone = next((n for n in range(first + 1, last + 1) if n not in stages), None)
    what = _WHERE.sub("", primary.hits[0].message) + (f", in {key[2]}()" if key[2] else "")
    times = primary.times
    steps = "step" if times == 1 else "steps"
    message = f"{title}: {what} (hit in {times} {steps} of {primary.label})"
    own = [d for d in shortest.decisions if d.place is not None and d.place.patch == first]
    place = own[0].place if own else None
    if first == 0:
        severity, message = "info", f"{BASE_TREE}: {message}"
    others = sorted({s.label for s in at_first} - {primary.label})
    evidence = [
        _when(first, gone, last),
        f"flow: {primary.label}: {describe(primary.params)}",
        *([f"also: {', '.join(others[:SHOWN])}{_more(others)}"] if others else []),
        f"shortest: {shown.label}: "
        + "; ".join(f"{i}. {step}" for i, step in enumerate(shortest.steps, 1)),
        "calls: " + " > ".join(shortest.chain),
        *(f"decided by: {d.describe()}" for d in shortest.decisions[:SHOWN]),
    ]
    return Finding(
        rule=rule,
        severity=severity,
        message=message,
        patch=first or None,
        file=place.file if place else None,
        line=place.line if place else None,
        entity=key[2] or (shortest.chain[-1] if shortest.chain else None),
        evidence=tuple(evidence),
    )


def _when(first: int, gone: int | None, last: int) -> str:
    since = "the base tree (stage 0)" if first == 0 else f"stage {first}: patch {first}"
    if gone is not None:
        return f"appears at {since}; patch {gone} makes it disappear"
    return f"appears at {since}; still there after patch {last}"


def _more(labels: Sequence[str]) -> str:
    return f" and {len(labels) - SHOWN} more" if len(labels) > SHOWN else ""


def describe(p: FlowParams) -> str:
    """The parameters a reviewer needs to run the flow again: arch, size, driver, chunk,
    and the configuration the flow ran with."""
    from patchscope.model.memory_hotplug.flows import chunk_of, make_config

    c = make_config(p)
    chunk = chunk_of(p)
    parts = [
        f"arch={p.arch}",
        f"size={_bytes(p.size)}",
        f"start={_bytes(p.start)}",
        f"driver={p.driver}",
        f"chunk={_bytes(chunk) if chunk else 'whole range'}",
        f"block={_bytes(c.memory_block_size)}",
    ]
    parts += [f"altmap={p.altmap}"] if p.driver == "devm" else []
    parts += [f"blocks={','.join(map(str, p.blocks))}"] if p.blocks is not None else []
    parts += [f"{flag}={'y' if getattr(c, name) else 'n'}" for flag, name in BOOLS.items()]
    return " ".join(parts)


def _bytes(size: int) -> str:
    for shift, unit in ((40, "T"), (30, "G"), (20, "M"), (10, "K")):
        if size and size % (1 << shift) == 0:
            return f"{size >> shift}{unit}"
    return str(size)


# --- running them -----------------------------------------------------------------------


def scenario_replays(
    replays: Mapping[tuple[Scenario, int], Replay],
) -> list[tuple[str, FlowParams, Replay]]:
    """The verdicts' replays with their scenario's label and parameters, in their order."""
    from patchscope.model.verdicts import scenario_params

    return [(s.label, scenario_params(s), r) for (s, _), r in replays.items()]


def explored_replays(
    stages: Sequence[Stage], budget: Budget
) -> list[tuple[str, FlowParams, Replay]]:
    """Search one stage (the last unless the budget names one) on each arch; every
    sequence found is replayed at every stage, so its cause is attributed like the rest."""
    from patchscope.model.explore import Budget as Searches
    from patchscope.model.explore import as_flow, search_stage
    from patchscope.model.memory_hotplug.flows import FlowParams, make_config, replay

    chosen = stages[-1] if budget.stage is None else stages[budget.stage]
    searches = Searches(budget.examples, budget.searches, budget.seed)
    out: list[tuple[str, FlowParams, Replay]] = []
    for arch in budget.arches:
        params = FlowParams(arch=arch)
        for found in search_stage(make_config(params), chosen, searches):
            flow = as_flow(found.ops)
            label = f"explored {arch}: {_sequence(found.ops)}"
            out += [(label, params, replay(flow, params, stages, stage=s.number)) for s in stages]
    return out


def _sequence(ops: Sequence[Op]) -> str:
    return "; ".join(op.describe() for op in ops)


def model_findings(
    stages: Sequence[Stage],
    replays: Mapping[tuple[Scenario, int], Replay] | None = None,
    budget: Budget | None = DEFAULT_BUDGET,
) -> list[Finding]:
    """Every cause the scenarios (and, with a budget, the exploration) hit, as findings.
    `replays` are the verdicts' when the caller has them already."""
    from patchscope.model.verdicts import replay_stages

    ran = scenario_replays(replay_stages(stages) if replays is None else replays)
    if budget is not None:
        ran += explored_replays(stages, budget)
    last = stages[-1].number
    renamed = {new: old for s in stages for old, new in s.renames.items()}
    found = sightings(ran, renamed).items()
    return sort_findings(finding(key, seen, last) for key, seen in found)
