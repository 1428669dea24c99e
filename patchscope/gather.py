"""Every finding of a series, gathered in one place: ingestion's, the static checks', the base
tree's and, for a series some manifest gives a stage module, the model's; waivers applied.

`check`, `report`, `batch` and the git hooks only render what this returns, so a finding is
the same wherever it shows. The model's findings are found at a fixed budget (the verdict
scenarios plus a small seeded exploration, `model.findings.DEFAULT_BUDGET`): the same series
gives the same findings and fingerprints on every run.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from patchscope.analysis import Analysis
from patchscope.baseline import Baseline, Judged, find_baseline, judge
from patchscope.checks.run import run_checks
from patchscope.errors import PatchscopeError
from patchscope.findings import Finding, sort_findings
from patchscope.ingest.manifest import modelled
from patchscope.ingest.series import Series
from patchscope.ingest.signoff import RULES as SIGNOFF_RULES
from patchscope.pipeline import analyse

if TYPE_CHECKING:
    from patchscope.code.model import SeriesFacts
    from patchscope.model.findings import Budget
    from patchscope.model.memory_hotplug.flows import Replay
    from patchscope.model.memory_hotplug.stages import Stage
    from patchscope.model.verdicts import Scenario

MODEL_FAILED = "model-failed"  # the series has a model, but it could not replay the series


@dataclass(frozen=True)
class ModelRun:
    """The model's stages of a series and every verdict scenario replayed at each: run once,
    for the findings and for the page's verdicts alike."""

    module: str
    stages: tuple[Stage, ...]
    replays: Mapping[tuple[Scenario, int], Replay]


@dataclass(frozen=True)
class Gathered:
    """A series' analysis and every finding of it, judged against the baseline."""

    analysis: Analysis
    judged: tuple[Judged, ...]
    model: str | None = None  # the stage module whose findings are in; None: none run
    run: ModelRun | None = None  # the model's replays; None: no model, or it failed

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(j.finding for j in self.judged)


def static_findings(analysis: Analysis) -> list[Finding]:
    """Ingestion's, the static checks' and the base tree's findings, in one sorted list."""
    verified = analysis.verified
    ingested = list(verified.findings)
    if analysis.tree is not None and analysis.tree.signoffs is not None:
        # who is who is the tree's .mailmap's to say, not the addresses alone
        ingested = [f for f in ingested if f.rule not in SIGNOFF_RULES]
        ingested += analysis.tree.signoffs
    found = [*ingested, *run_checks(verified.series, analysis.facts, analysis.tree)]
    if analysis.tree is not None:
        found += analysis.tree.findings
    return sort_findings(found)


def model_of(series: Series, source: str) -> str | None:
    """The stage module a manifest names for one of the series' message-ids, whatever the
    SOURCE it was read from (a manifest given as SOURCE counts too)."""
    given = [Path(source)] if source.endswith(".toml") and Path(source).is_file() else []
    models = {mid: module for mid, (module, _) in modelled(given).items()}
    ids = [p.message_id for p in series.patches]
    ids += [series.cover.message_id] if series.cover else []
    return next((models[i] for i in ids if i in models), None)


def run_model(series: Series, module: str, facts: SeriesFacts | None = None) -> ModelRun:
    """The series' stages from `module` and the verdict scenarios replayed at every stage;
    a PatchscopeError when the model cannot replay the series."""
    from patchscope.model.memory_hotplug.stages import series_model
    from patchscope.model.verdicts import replay_stages

    stages = tuple(series_model(series, module, facts))
    return ModelRun(module, stages, replay_stages(stages))


def model_findings(
    series: Series,
    module: str,
    budget: Budget | None = None,
    facts: SeriesFacts | None = None,
) -> tuple[list[Finding], ModelRun | None]:
    """The model's findings and its run (for the caller's other uses), or one `model-failed`
    warning and no run when it cannot replay the series (the rest stands without it)."""
    from patchscope.model import explore  # noqa: F401  (Hypothesis, frozen with the rest)
    from patchscope.model.findings import DEFAULT_BUDGET
    from patchscope.model.findings import model_findings as found_by_model
    from patchscope.model.verdicts import claim_findings

    try:
        with _frozen_heap():
            ran = run_model(series, module, facts)
            found = found_by_model(
                ran.stages, ran.replays, DEFAULT_BUDGET if budget is None else budget
            )
            return sort_findings([*found, *claim_findings(series, ran.replays)]), ran
    except PatchscopeError as exc:
        return [Finding(MODEL_FAILED, "warning", str(exc))], None


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """The model makes and drops many objects over a heap the analysis (and Hypothesis'
    import) filled already: while it runs, what is there is frozen out of the collector's
    reach, which walked all of it in each full collection (and in the one Hypothesis forces
    when it first seeds its random generator)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def gather(
    source: str,
    *,
    tree: str | None = None,
    offline: bool = False,
    baseline: str | None = None,
    model: bool = True,
    budget: Budget | None = None,
) -> Gathered:
    """Load and analyse SOURCE, then every finding of it. A bad baseline stops us first."""
    waivers = find_baseline(source, baseline)
    with _rarer_collections():
        analysis = analyse(source, tree=tree, offline=offline)
        return judged(analysis, source, waivers, model=model, budget=budget)


@contextmanager
def _rarer_collections() -> Iterator[None]:
    """The garbage collector's youngest generation collected every 10,000 new objects
    instead of 700: an analysis makes hundreds of thousands (tree-sitter nodes, a model's
    states) and keeps most, and the collections that found little to free took some
    0.05 s of a check --tree."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], _YOUNGEST), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


_YOUNGEST = 10_000


def judged(
    analysis: Analysis,
    source: str,
    waivers: Baseline | None = None,
    *,
    model: bool = True,
    budget: Budget | None = None,
) -> Gathered:
    """The findings of an analysis already made (the report has its own), judged."""
    found = static_findings(analysis)
    module = model_of(analysis.verified.series, source) if model else None
    run = None
    if module is not None:
        series = analysis.verified.series
        by_model, run = model_findings(series, module, budget, facts=analysis.facts)
        found = sort_findings([*found, *by_model])
    return Gathered(analysis, tuple(judge(found, waivers)), module, run)
