"""bisect-order: a patch uses an entity that only a later patch of the series introduces."""

from __future__ import annotations

from patchscope.checks.scope import Stage, quote, stages
from patchscope.code.model import Change, Reference, SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Series

RULE = "bisect-order"


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    staged = stages(series, facts)
    introduced = _introductions(staged)
    findings: dict[tuple[str, int], Finding] = {}
    known: set[str] = set()
    for stage in staged:
        known |= _defined(stage)
        for ref in stage.facts.after.references:
            change = introduced.get(ref.name)
            key = (ref.name, stage.number)
            if (
                change is None
                or change.patch <= stage.number
                or ref.name in known
                or key in findings
                or not stage.is_added(ref.file, ref.line)
            ):
                continue
            findings[key] = _finding(stage.number, ref, change)
    return list(findings.values())


def _introductions(staged: list[Stage]) -> dict[str, Change]:
    """Each name's first coming into being: added, or the new name of a rename."""
    first: dict[str, Change] = {}
    for stage in staged:
        for c in stage.facts.changes:
            if c.change in ("added", "renamed"):
                first.setdefault(c.name, c)
    return first


def _defined(stage: Stage) -> set[str]:
    """Names the patch's images show defined or declared (the base, or earlier patches)."""
    return {d.name for image in (stage.facts.before, stage.facts.after) for d in image.definitions}


def _finding(patch: int, ref: Reference, change: Change) -> Finding:
    return Finding(
        rule=RULE,
        severity="error",
        message=(
            f"patch {patch} uses {ref.name}, which only patch {change.patch} introduces: "
            f"the series does not build at patch {patch}"
        ),
        patch=patch,
        file=ref.file,
        line=ref.line,
        entity=ref.name,
        evidence=(
            f"used: {quote(ref)}",
            f"introduced by patch {change.patch}: {change.file}:{change.line}",
        ),
    )
