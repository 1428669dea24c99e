"""What a series claims about itself, checked: cover diffstat, dependencies, all findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from patchscope.diff.compose import Composed, compose
from patchscope.diff.deps import Dependency, dependencies
from patchscope.diff.diffstat import compare
from patchscope.diff.lineage import replay
from patchscope.errors import PatchscopeError
from patchscope.findings import Finding, sort_findings
from patchscope.ingest.series import Series


@dataclass(frozen=True)
class Verified:
    series: Series
    composed: Composed | None  # None when the patches could not be composed
    cover_ok: bool | None  # None when there is no cover letter diffstat to check
    dependencies: tuple[Dependency, ...]
    findings: tuple[Finding, ...]  # every finding, in the contract's order


def verify(series: Series) -> Verified:
    findings = list(series.findings)
    numbered = [(p.number, p.files) for p in series.patches]
    composed: Composed | None = None
    deps: tuple[Dependency, ...] = ()
    skipped = _why_not_replay(series)
    if skipped:
        findings.append(
            Finding(rule="replay-skipped", severity="info", message=f"not replayed: {skipped}")
        )
    else:
        try:
            replayed = replay(numbered, with_trees=series.cover is not None)
            deps = dependencies(numbered, replayed)
            composed = compose(numbered, replayed) if series.cover else None
        except PatchscopeError as exc:
            findings.append(Finding(rule="replay-failed", severity="error", message=str(exc)))
    cover_ok: bool | None = None
    if series.cover and series.cover.claimed and composed:
        mismatches = compare(
            series.cover.claimed, composed.diffstat, None, "cover-diffstat-mismatch"
        )
        findings.extend(_with_history(f, composed.changed_again) for f in mismatches)
        cover_ok = not mismatches
    return Verified(
        series=series,
        composed=composed,
        cover_ok=cover_ok,
        dependencies=deps,
        findings=tuple(sort_findings(findings)),
    )


def _why_not_replay(series: Series) -> str | None:
    """Replaying a series with holes would only report the holes again."""
    if any(p.malformed for p in series.patches):
        return "a patch is malformed"
    if any(f.rule == "incomplete-series" for f in series.findings):
        return "the series is incomplete"
    return None


def _with_history(finding: Finding, changed_again: Mapping[str, tuple[str, ...]]) -> Finding:
    """A cover mismatch is easier to judge beside the lines a later patch changed again."""
    if finding.file is None:
        return finding
    tail = finding.file.removeprefix(".../")
    for path, lines in changed_again.items():
        if path == finding.file or path.endswith("/" + tail):
            return replace(finding, evidence=finding.evidence + lines)
    return finding
