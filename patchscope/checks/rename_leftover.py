"""rename-leftover: the old name of a renamed entity still used after the rename."""

from __future__ import annotations

from patchscope.checks.scope import DEFINING, Stage, guard_set, negate, quote, stages
from patchscope.code.model import Change, Reference, SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Series

RULE = "rename-leftover"


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    staged = stages(series, facts)
    findings: dict[tuple[str, str, str], Finding] = {}
    for at, stage in enumerate(staged):
        for change in stage.facts.changes:
            if change.change != "renamed" or not change.old_name:
                continue
            for later in staged[at:]:
                for ref in later.facts.after.references:
                    key = (change.old_name, ref.file, ref.text)
                    if ref.name != change.old_name or key in findings:
                        continue
                    if not _still_defined(ref, staged[at : staged.index(later) + 1]):
                        findings[key] = _finding(stage.number, later.number, change, ref)
    return list(findings.values())


def _still_defined(ref: Reference, span: list[Stage]) -> bool:
    """The old name is kept (a wrapper, or a variant the rename spared) where the use sits."""
    where = guard_set(ref.guard)
    return any(
        d.name == ref.name
        and d.kind in DEFINING
        and not any(negate(cond) in where for cond in guard_set(d.guard))
        for stage in span
        for d in stage.facts.after.definitions
    )


def _finding(renamed_in: int, patch: int, change: Change, ref: Reference) -> Finding:
    return Finding(
        rule=RULE,
        severity="error",
        message=(
            f"{ref.file} still uses {change.old_name}, which patch {renamed_in} "
            f"renamed to {change.name}"
        ),
        patch=patch,
        file=ref.file,
        line=ref.line,
        entity=change.old_name,
        evidence=(
            f"patch {renamed_in} renames {change.old_name} -> {change.name} in {change.file}",
            f"still used: {quote(ref)}",
        ),
    )
