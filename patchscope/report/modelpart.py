"""The report's optional model section: claims replayed, and what each patch changes.

The semantic model (patchscope.model) knows only some series; for the others, or when
the model cannot be imported, the report leaves this section out and says nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patchscope.ingest.series import Series

if TYPE_CHECKING:
    import networkx as nx

    from patchscope.model.claims import ClaimResult
    from patchscope.model.verdicts import Scenario, Verdict

# The words of a patch about itself that promise its behaviour stays as it was.
_UNCHANGED_WORDS = ("no functional change", "rename", "cleanup")


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
class ModelPart:
    claims: tuple[ClaimRow, ...]
    stages: tuple[StageRow, ...]
    # patch -> "scenario: observable old -> new" lines against the stage before it
    behaviour: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    # patch -> the verdict on the patch's own words, and whether they hold (None: no promise)
    verdicts: Mapping[int, tuple[str, bool | None]] = field(default_factory=dict)


def model_part(source: str, series: Series, graph: nx.MultiDiGraph) -> ModelPart | None:
    """The model's results for the series SOURCE names, or None when it has no model."""
    try:
        from patchscope.model.claims import check_claims, model_replayer, read_claims
        from patchscope.model.memory_hotplug.stages import NoModelError, model_name, series_model
        from patchscope.model.verdicts import replay_stages, verdict
    except ImportError:  # the model is an optional part of an installation
        return None
    module = model_name(source)
    if module is None:
        return None
    try:
        stages = series_model(series, module)
    except NoModelError:
        return None
    results = check_claims(series, read_claims(Path(source)), model_replayer(stages))
    replays = replay_stages(stages)
    judged = [verdict(p, replays, graph) for p in series.patches]
    return part_of(results, judged, {key: r.observables for key, r in replays.items()})


def part_of(
    results: Sequence[ClaimResult],
    verdicts: Sequence[Verdict],
    observed: Mapping[tuple[Scenario, int], Mapping[str, Any]],
) -> ModelPart:
    """The model's values flattened to what the page and the tables show."""
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
        behaviour={v.patch: _delta_lines(v) for v in verdicts},
        verdicts={v.patch: _words_verdict(v) for v in verdicts},
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


def _delta_lines(v: Verdict) -> tuple[str, ...]:
    lines = []
    for d in v.deltas:
        label = d.scenario.label
        lines += [f"{label}: {name} {old} -> {new}" for name, (old, new) in d.observables.items()]
        lines += [f"{label}: now fires {rule}" for rule in d.findings_gained]
        lines += [f"{label}: no longer fires {rule}" for rule in d.findings_lost]
    return tuple(lines)


def _words_verdict(v: Verdict) -> tuple[str, bool | None]:
    """A promise of unchanged behaviour holds when no scenario's replay changed."""
    promised = [claim for claim, _ in v.says if claim in _UNCHANGED_WORDS]
    if not promised:
        changed = "behaviour changes" if v.behaviour_changes else "behaviour unchanged"
        return f"promises nothing about behaviour; {changed}", None
    words = " and ".join(f'"{claim}"' for claim in promised)
    if v.behaviour_changes:
        return f"says {words}, but the replay changes in {len(v.deltas)} of the scenarios", False
    return f"says {words}: no scenario changes", True
