"""guard-mismatch: a definition under #if used outside it, with nothing for the other branch."""

from __future__ import annotations

from collections.abc import Iterator

from patchscope.checks.scope import Stage, guard_set, negate, quote, stages
from patchscope.code.model import Definition, Reference, SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Series

RULE = "guard-mismatch"

# What a use needs at link or compile time: a body, a variable, or a macro standing in.
_PROVIDING = frozenset({"function", "global", "macro"})


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    staged = stages(series, facts)
    findings: dict[tuple[str, str, str], Finding] = {}
    changed: set[str] = set()
    for at, stage in enumerate(staged):
        changed |= {c.name for c in stage.facts.changes}
        pool = _pool(staged, at)
        for ref in stage.facts.after.references:
            key = (ref.name, ref.file, ref.text)
            providers = pool.get(ref.name, [])
            if key in findings or not (ref.name in changed or stage.is_added(ref.file, ref.line)):
                continue
            lone = _unprovided(ref, providers)
            if lone is not None and _guards_known(stage, lone, ref):
                findings[key] = _finding(stage.number, ref, lone)
    return list(findings.values())


def _pool(staged: list[Stage], at: int) -> dict[str, list[Definition]]:
    """Definitions as they stand after patch `at`: its and earlier post-images, later pre-images."""
    pool: dict[str, list[Definition]] = {}
    shown = [s.facts.after for s in staged[: at + 1]] + [s.facts.before for s in staged[at + 1 :]]
    for image in shown:
        for d in image.definitions:
            if d.kind in _PROVIDING:
                pool.setdefault(d.name, []).append(d)
    return pool


def _guards_known(stage: Stage, d: Definition, ref: Reference) -> bool:
    """In one file, the guards of both are known only when the hunks show all between them;
    the #endif might otherwise close and reopen unseen. Across files each fragment's own
    guards are all there is to go by."""
    if d.file != ref.file:
        return True
    return d in stage.facts.after.definitions and stage.shows(ref.file, d.line, ref.line)


def _unprovided(ref: Reference, providers: list[Definition]) -> Definition | None:
    """A guarded definition the use cannot reach and no other definition stands in for."""
    where = guard_set(ref.guard)
    if not providers or any(guard_set(d.guard) <= where for d in providers):
        return None
    for d in providers:
        if not any(_falls_back(d, other, where) for other in providers if other is not d):
            return d
    return None


def _falls_back(d: Definition, other: Definition, where: frozenset[str]) -> bool:
    return any(negate(cond) in guard_set(other.guard) for cond in _missing(d, where))


def _missing(d: Definition, where: frozenset[str]) -> Iterator[str]:
    return (cond for cond in sorted(guard_set(d.guard)) if cond not in where)


def _finding(patch: int, ref: Reference, d: Definition) -> Finding:
    missing = list(_missing(d, guard_set(ref.guard)))
    guard = " && ".join(missing)
    other = " || ".join(negate(c) for c in missing)
    return Finding(
        rule=RULE,
        severity="error",
        message=(
            f"{d.name} is defined only under {guard} but used outside it, and nothing "
            f"defines it under {other}: such builds fail"
        ),
        patch=patch,
        file=ref.file,
        line=ref.line,
        entity=d.name,
        evidence=(
            f"defined under {guard}: {quote(d)}",
            f"used under {' && '.join(ref.guard) or 'no guard'}: {quote(ref)}",
        ),
    )
