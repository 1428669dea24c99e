"""The report's optional model section: claims replayed, and what each patch changes.

The semantic model (patchscope.model) knows only some series; for the others, or when it
could not replay the series (gather's `model-failed`), the report leaves this section out.
The scenarios' replays come from gather, which ran them for the model's findings.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patchscope.findings import Finding
from patchscope.ingest.series import Series
from patchscope.report.behaviour import Agreement, summarise

if TYPE_CHECKING:
    import networkx as nx

    from patchscope.gather import ModelRun
    from patchscope.model.claims import ClaimResult
    from patchscope.model.memory_hotplug.flows import FlowParams
    from patchscope.model.memory_hotplug.kernel import Kernel
    from patchscope.model.memory_hotplug.stages import Stage
    from patchscope.model.verdicts import Scenario, Verdict

# The flow charted step by step, with the flow's default parameters (x86_64, 2 GiB at 4 GiB).
CHART_FLOW = "lifecycle"
# Zone counters summed from each step's deltas (a zone's spanned pages outlive an offline,
# which the range's own observables, read off its online zone, cannot show).
_ACCOUNTING = ("spanned_pages", "present_pages", "managed_pages")
# Where the range's memmap lives, read off the kernel after every step.
_MEMMAP = ("memmap_from_node_pages", "memmap_from_range_pages")
_CAPTIONS = {
    "spanned_pages": "zone spanned pages added",
    "present_pages": "zone present pages added",
    "managed_pages": "zone managed pages added",
    "memmap_from_node_pages": "memmap pages taken from the node",
    "memmap_from_range_pages": "memmap pages inside the range",
}


@dataclass(frozen=True)
class ClaimRow:
    """One claim of the series, as `patchscope claims --json` shows it, flattened to text."""

    quote: str
    source: str
    flow: str
    params: str  # "key=value" pairs, space-separated, then the stage when the claim names one
    observable: str
    expected: str
    replayed: str  # with the reason in parentheses when the claim failed
    ok: bool


@dataclass(frozen=True)
class StageRow:
    """One observable of one scenario (flow, arch, parameters) at one stage (0 = base tree)."""

    stage: int
    flow: str
    observable: str
    value: str


@dataclass(frozen=True)
class StepChart:
    """One counter of a flow replayed at every stage, read after each of the flow's steps."""

    title: str
    steps: tuple[str, ...]
    # (stage, the counter after each step; None where that stage's replay has no such step)
    lines: tuple[tuple[int, tuple[int | None, ...]], ...]


@dataclass(frozen=True)
class ModelPart:
    claims: tuple[ClaimRow, ...]
    stages: tuple[StageRow, ...]
    # patch -> "scenario: observable old -> new" lines against the stage before it
    behaviour: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    # patch -> the same delta said once per change, with the arches or scenarios seeing it
    summary: Mapping[int, tuple[Agreement, ...]] = field(default_factory=dict)
    # patch -> its verdict: each promise judged by the model and the static check, and which
    # changed functions ran, were not reached, or are not modelled
    verdicts: Mapping[int, Verdict] = field(default_factory=dict)
    charts: tuple[StepChart, ...] = ()  # CHART_FLOW step by step, one chart per counter


def model_part(
    source: str,
    series: Series,
    graph: nx.MultiDiGraph,
    run: ModelRun | None,
    static: Sequence[Finding] = (),
) -> ModelPart | None:
    """The model's results for the series, from the replays `gather` ran (None: it ran none);
    `static` are the series' findings, whose claim check stands beside the model's verdicts.
    The claims checked are a manifest's, when SOURCE is one."""
    if run is None:
        return None
    from patchscope.model.claims import check_claims, model_replayer, read_claims
    from patchscope.model.verdicts import known_functions, verdict

    stages = run.stages
    manifest = Path(source)
    claims = read_claims(manifest) if manifest.suffix == ".toml" and manifest.is_file() else ()
    results = check_claims(series, claims, model_replayer(stages))
    known = known_functions(stages)
    judged = [verdict(p, run.replays, graph, static, known) for p in series.patches]
    observed = {key: r.observables for key, r in run.replays.items()}
    return dataclasses.replace(part_of(results, judged, observed), charts=flow_charts(stages))


def flow_charts(stages: Sequence[Stage], params: FlowParams | None = None) -> tuple[StepChart, ...]:
    """CHART_FLOW replayed at every stage (with the flow's defaults unless `params`), one
    chart per counter, so a reviewer sees at which stage and which step a patch moves it."""
    from patchscope.model.memory_hotplug.flows import FlowParams

    chosen = FlowParams() if params is None else params
    runs = {s.number: _stepwise(stages, s.number, chosen) for s in stages}
    axis = tuple(dict.fromkeys(step for run in runs.values() for step in run))
    scenario = f"{CHART_FLOW} {chosen.arch}, {_bytes(chosen.size)} at {_bytes(chosen.start)}"
    return tuple(
        StepChart(
            f"{_CAPTIONS[counter]} ({scenario})",
            axis,
            tuple(
                (stage, tuple(run[step][counter] if step in run else None for step in axis))
                for stage, run in runs.items()
            ),
        )
        for counter in (*_ACCOUNTING, *_MEMMAP)
    )


def _stepwise(stages: Sequence[Stage], stage: int, params: FlowParams) -> dict[str, dict[str, int]]:
    """Step name -> the charted counters after it. A Replay keeps each step's counter
    deltas but only the final observables, so the flow is wrapped to read where the memmap
    lives after every step; the replay itself (invariants, errors) runs unchanged."""
    from patchscope.model.memory_hotplug.flows import FLOWS, Part, replay

    flow = FLOWS[CHART_FLOW]
    where: list[dict[str, int]] = []
    watching = Part(lambda k, p: _watch(flow.run(k, p), k, p, where))
    watched = dataclasses.replace(flow, parts=(watching,))
    done = replay(watched, params, stages, stage=stage)
    totals: Counter[str] = Counter()
    out: dict[str, dict[str, int]] = {}
    for step, memmap in zip(done.steps, where, strict=True):
        for key, change in step["delta"].items():
            zone_counter = key.split(".")
            if len(zone_counter) == 3 and zone_counter[2] in _ACCOUNTING:  # nodeN.Zone.counter
                totals[zone_counter[2]] += change
        name = _unique(str(step["step"]), out)
        out[name] = {**{c: totals[c] for c in _ACCOUNTING}, **memmap}
    return out


def _watch(
    steps: Iterator[str], k: Kernel, p: FlowParams, where: list[dict[str, int]]
) -> Iterator[str]:
    """The flow's steps, unchanged, noting where the memmap lives after each one (also
    after the step a kernel error ends, which the replay records as a step too)."""
    from patchscope.model.memory_hotplug.kernel import KernelError
    from patchscope.model.memory_hotplug.observe import observables

    def memmap() -> dict[str, int]:
        seen = observables(k, p.start, p.size)
        return {name: int(seen[name]) for name in _MEMMAP}

    try:
        for name in steps:
            where.append(memmap())
            yield name
    except KernelError:
        where.append(memmap())
        raise


def _bytes(size: int) -> str:
    """A size as the largest binary unit that divides it (4 GiB, 128 MiB)."""
    for shift, unit in ((40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")):
        if size and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


def _unique(name: str, taken: Mapping[str, object]) -> str:
    """A step name repeated within one replay (one "hwpoison" per page) numbered apart."""
    count, unique = 1, name
    while unique in taken:
        count += 1
        unique = f"{name} ({count})"
    return unique


def part_of(
    results: Sequence[ClaimResult],
    verdicts: Sequence[Verdict],
    observed: Mapping[tuple[Scenario, int], Mapping[str, Any]],
) -> ModelPart:
    """The model's values flattened to what the page and the tables show."""
    from patchscope.model.verdicts import delta_lines

    stages = tuple(
        StageRow(stage, scenario.label, name, str(value))
        for (scenario, stage), observables in sorted(
            observed.items(), key=lambda item: (item[0][1], item[0][0].label)
        )
        for name, value in sorted(observables.items())
    )
    return ModelPart(
        claims=tuple(_claim_row(r) for r in results),
        stages=stages,
        behaviour={v.patch: tuple(ln for d in v.deltas for ln in delta_lines(d)) for v in verdicts},
        summary={v.patch: summarise(v.deltas) for v in verdicts},
        verdicts={v.patch: v for v in verdicts},
    )


def _claim_row(result: ClaimResult) -> ClaimRow:
    c = result.claim
    params = " ".join(f"{key}={value}" for key, value in c.params)
    if c.stage is not None:
        params = f"{params} stage={c.stage}".strip()
    replayed = _as_written(result.replayed, str(c.expected))
    if result.reason and not result.ok:
        replayed = f"{replayed} ({result.reason})".strip()
    return ClaimRow(
        c.quote, c.source, c.flow, params, c.observable, str(c.expected), replayed, result.ok
    )


def _as_written(value: float | None, expected: str) -> str:
    """A replayed number in the base the text uses: an address the text writes in hex, in hex."""
    if value is None:
        return ""
    if expected.lower().startswith("0x") and float(value).is_integer():
        return hex(int(value))
    return str(value)
