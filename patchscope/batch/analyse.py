"""One series analysed in a worker, as `stat`, `graph`, `check` and `claims` would, into a plain
result: no timestamps, no process ids, so the same series gives the same result anywhere."""

from __future__ import annotations

import resource
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from patchscope import limits
from patchscope.analysis import Analysis
from patchscope.batch.discover import Model, SeriesTask
from patchscope.errors import PatchscopeError
from patchscope.findings import Finding, sort_findings
from patchscope.gather import MODEL_FAILED, model_findings, static_findings
from patchscope.ingest.assemble import assemble
from patchscope.ingest.series import Patch, Series
from patchscope.limits import Limits
from patchscope.model.claims import ClaimResult
from patchscope.verify import Verified, verify

if TYPE_CHECKING:
    from patchscope.model.memory_hotplug.stages import Stage


@dataclass(frozen=True)
class PatchRow:
    number: int
    total: int
    title: str
    author: str  # "Name <email>"
    message_id: str
    files: int
    insertions: int
    deletions: int
    diffstat_ok: bool | None  # None: no claimed diffstat, or a malformed patch
    malformed: bool


@dataclass(frozen=True)
class SeriesResult:
    key: str
    source: str
    title: str
    version: int
    error: str | None = None  # one line; None when the series was analysed
    name: str = ""
    patches: tuple[PatchRow, ...] = ()
    findings: tuple[Finding, ...] = ()
    model: str | None = None
    claims: tuple[ClaimResult, ...] = ()
    graph_nodes: int = 0
    graph_edges: int = 0
    reposts: tuple[str, ...] = ()  # keys of the other postings of the same series

    @property
    def status(self) -> str:
        return "failed" if self.error is not None else "ok"


@dataclass(frozen=True)
class Chunk:
    results: tuple[SeriesResult, ...]
    # What the worker spent, for bench/batch.py: its peak resident size after the chunk, and
    # the CPU time the chunk took (against the wall clock it shows how much CPU it was given).
    peak_rss_kib: int = 0
    cpu_seconds: float = 0.0


def analyse_chunk(tasks: Sequence[SeriesTask], within: Limits = limits.DEFAULT) -> Chunk:
    """What a worker runs: several series per call, so scheduling costs little per series.

    A worker process does not inherit the command's limits: they come with the chunk.
    """
    start = _cpu_seconds()
    with limits.applied(within, "a batch chunk"):
        results = tuple(analyse(task) for task in tasks)
    spent = _cpu_seconds() - start
    return Chunk(results, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, spent)


def _cpu_seconds() -> float:
    """The worker's CPU time and that of the git processes it ran."""
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in used)


def analyse(task: SeriesTask) -> SeriesResult:
    """The series' result; any error, even one patchscope did not foresee, fails only it."""
    try:
        return _analysed(task)
    except PatchscopeError as exc:
        return failed(task, str(exc))
    except Exception as exc:  # a bug must not stop the other series: record it as theirs
        return failed(task, f"internal error: {type(exc).__name__}: {exc}")


def failed(task: SeriesTask, error: str) -> SeriesResult:
    return SeriesResult(
        task.key,
        task.source,
        task.title,
        task.version,
        " ".join(error.split()),
        reposts=task.reposts,
    )


def _analysed(task: SeriesTask) -> SeriesResult:
    from patchscope.code.facts import series_facts
    from patchscope.graph.build import build_graph

    model = task.model
    series = assemble(task.mails, source=task.key, name=model.name if model else None)
    verified = verify(series)
    facts = series_facts(series)
    graph = build_graph(series, facts, verified.dependencies)
    findings = static_findings(Analysis(verified, facts, None))
    claims: tuple[ClaimResult, ...] = ()
    if model is not None:
        # one run of the model serves its findings and the manifest's claims; a model that
        # cannot replay the series is one model-failed finding, and the rest stands
        by_model, run = model_findings(series, model.module, facts=facts)
        findings = sort_findings([*findings, *by_model])
        if run is not None:
            try:
                claims = _claims(series, model, run.stages)
            except PatchscopeError as exc:
                findings = sort_findings([*findings, Finding(MODEL_FAILED, "warning", str(exc))])
    return SeriesResult(
        key=task.key,
        source=task.source,
        title=task.title,
        version=task.version,
        name=series.name,
        patches=tuple(_row(verified, p) for p in series.patches),
        findings=tuple(findings),
        model=model.module if model else None,
        claims=claims,
        graph_nodes=graph.number_of_nodes(),
        graph_edges=graph.number_of_edges(),
        reposts=task.reposts,
    )


def _claims(series: Series, model: Model, stages: Sequence[Stage]) -> tuple[ClaimResult, ...]:
    from patchscope.model.claims import check_claims, model_replayer

    return tuple(check_claims(series, model.claims, model_replayer(stages)))


def _row(verified: Verified, patch: Patch) -> PatchRow:
    return PatchRow(
        number=patch.number,
        total=patch.total,
        title=patch.subject.title,
        author=f"{patch.author.name} <{patch.author.email}>",
        message_id=patch.message_id,
        files=patch.computed.files,
        insertions=patch.computed.insertions,
        deletions=patch.computed.deletions,
        diffstat_ok=verified.diffstat_ok(patch),
        malformed=patch.malformed,
    )
