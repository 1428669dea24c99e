"""What a series claims about itself, checked: cover diffstat, dependencies, all findings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from patchscope.diff.compose import Composed, compose
from patchscope.diff.deps import Dependency, dependencies
from patchscope.diff.diffstat import FilePair, mismatch_message, pair_files, summary_message
from patchscope.diff.lineage import replay
from patchscope.diff.model import Diffstat
from patchscope.errors import PatchscopeError
from patchscope.findings import Finding, Severity, sort_findings
from patchscope.ingest.series import Patch, Series


@dataclass(frozen=True)
class Verified:
    """A series with what it claims checked: composed diff, cover diffstat, dependencies."""

    series: Series
    composed: Composed | None  # None when the patches could not be composed
    cover_ok: bool | None  # None when there is no cover letter diffstat to check
    dependencies: tuple[Dependency, ...]
    findings: tuple[Finding, ...]  # every finding, in the contract's order

    def diffstat_ok(self, patch: Patch) -> bool | None:
        """Whether the patch's claimed diffstat holds; None when it claims none or is malformed."""
        if patch.claimed is None or patch.malformed:
            return None
        return not any(
            f.rule == "diffstat-mismatch" and f.patch == patch.number for f in self.findings
        )


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
        mismatches = _cover_findings(series, series.cover.claimed, composed)
        findings.extend(mismatches)
        cover_ok = not any(f.severity == "error" for f in mismatches)
    return Verified(
        series=series,
        composed=composed,
        cover_ok=cover_ok,
        dependencies=deps,
        findings=tuple(sort_findings(findings)),
    )


def _cover_findings(series: Series, claimed: Diffstat, composed: Composed) -> list[Finding]:
    """Compare the cover letter's diffstat with the composition, file by file.

    Without the base, lines no hunk shows are unknown, and git's diff heuristics may align
    repeated lines (a lone `return -EINVAL;`) over them differently, in either direction
    and even past the patches' own counts added up, for a file several patches touch.
    Such a file's claim is only noted when git could have produced it: the same parity
    as the composed count and no less than its insertions minus deletions (neither can
    change with the alignment). A file one patch touches must match exactly.
    """
    touched: dict[str, int] = defaultdict(int)
    for patch in series.patches:
        for fd in patch.files:
            touched[fd.path] += 1
    out: list[Finding] = []
    for pair in pair_files(claimed, composed.diffstat):
        if pair.says == pair.has:
            continue
        message = mismatch_message(pair)
        added, removed = composed.lines.get(pair.name, (0, 0))
        floor = abs(added - removed)
        if touched[pair.name] > 1 and _could_align(pair, floor):
            message += (
                "; several patches edit the file and git may align repeated lines over code "
                f"no hunk shows: the claim keeps the parity and is at least {floor}"
            )
            out.append(_cover_finding("cover-diffstat-alignment", "info", message, pair.name))
        else:
            out.append(_cover_finding("cover-diffstat-mismatch", "error", message, pair.name))
    summary = summary_message(claimed, composed.diffstat)
    if summary:
        nets_agree = (
            claimed.files == composed.diffstat.files
            and claimed.insertions - claimed.deletions
            == composed.diffstat.insertions - composed.diffstat.deletions
        )
        only_alignment = all(f.severity == "info" for f in out)
        if nets_agree and only_alignment:
            out.append(_cover_finding("cover-diffstat-alignment", "info", summary, None))
        else:
            out.append(_cover_finding("cover-diffstat-mismatch", "error", summary, None))
    return [_with_history(f, composed.changed_again) for f in out]


def _could_align(pair: FilePair, floor: int) -> bool:
    if pair.says is None or pair.has is None:
        return False
    return pair.says >= floor and (pair.says - pair.has) % 2 == 0


def _cover_finding(rule: str, severity: Severity, message: str, file: str | None) -> Finding:
    return Finding(rule=rule, severity=severity, message=message, file=file)


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
