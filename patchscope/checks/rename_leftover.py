"""rename-leftover: the old name of a renamed entity still used after the rename."""

from __future__ import annotations

from collections.abc import Iterator

from patchscope.checks.scope import DEFINING, Stage, guard_set, negate, quote, stages
from patchscope.code.callers import Site
from patchscope.code.model import Change, Reference, SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Series

RULE = "rename-leftover"


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    """Uses in the series' own post-images; with a tree, uses anywhere in it after the series."""
    staged = stages(series, facts)
    findings: dict[tuple[str, str, str], Finding] = {}
    for at, stage in enumerate(staged):
        for change in _renames(stage):
            for later in staged[at:]:
                for ref in later.facts.after.references:
                    key = (ref.name, ref.file, ref.text)
                    if ref.name != change.old_name or key in findings:
                        continue
                    if not _still_defined(ref, staged[at : staged.index(later) + 1]):
                        where = (ref.file, ref.line, quote(ref))
                        findings[key] = _finding(stage.number, later.number, change, where)
            for site in _tree_uses(change, tree):
                key = (site.name, site.file, site.text)
                where = (site.file, site.line, f"{site.file}:{site.line}: {site.text}")
                findings.setdefault(key, _finding(stage.number, stage.number, change, where))
    return list(findings.values())


def _renames(stage: Stage) -> Iterator[Change]:
    return (c for c in stage.facts.changes if c.change == "renamed" and c.old_name)


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


def _tree_uses(change: Change, tree: TreeFacts | None) -> list[Site]:
    """Calls and references of the old name in the tree the series leaves, when nothing
    there defines or declares it any more."""
    if tree is None:
        return []
    sites = [s for s in tree.callers if s.name == change.old_name]
    if any(s.kind in ("definition", "declaration") for s in sites):
        return []
    return [s for s in sites if s.kind in ("call", "reference")]


def _finding(renamed_in: int, patch: int, change: Change, where: tuple[str, int, str]) -> Finding:
    """`where` is the use's file, line, and the evidence line quoting it."""
    file, line, shown = where
    return Finding(
        rule=RULE,
        severity="error",
        message=f"{file} still uses {change.old_name}, which patch {renamed_in} "
        f"renamed to {change.name}",
        patch=patch,
        file=file,
        line=line,
        entity=change.old_name,
        evidence=(
            f"patch {renamed_in} renames {change.old_name} -> {change.name} in {change.file}",
            f"still used: {shown}",
        ),
    )
