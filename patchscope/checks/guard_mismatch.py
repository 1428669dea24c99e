"""guard-mismatch: a definition under #if used outside it, with nothing for the other branch."""

from __future__ import annotations

from collections.abc import Iterator

from patchscope.checks.scope import Shown, Stage, guard_set, negate, quote, shown_by_name, stages
from patchscope.code.model import Definition, Reference, SeriesFacts
from patchscope.code.scan import guard_text
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Series

RULE = "guard-mismatch"

# What a use needs at link or compile time: a body, a variable, or a macro standing in.
_PROVIDING = frozenset({"function", "global", "macro"})


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    staged = stages(series, facts)
    shown = shown_by_name(staged)
    findings: dict[tuple[str, str, str], Finding] = {}
    changed: set[str] = set()
    for stage in staged:
        changed |= {c.name for c in stage.facts.changes}
        for ref in stage.facts.after.references:
            key = (ref.name, ref.file, ref.text)
            if key in findings or not (ref.name in changed or stage.is_added(ref.file, ref.line)):
                continue
            providers = _standing(shown.get(ref.name, []), stage.number)
            lone = _unprovided(ref, [seen.definition for seen in providers])
            if lone is not None and _guards_known(stage, providers, lone, ref):
                findings[key] = _finding(stage.number, ref, lone)
    return list(findings.values())


def _standing(shown: list[Shown], number: int) -> list[Shown]:
    """Definitions as they stand after patch `number`: its and earlier post-images, and
    the pre-images of later patches (the rest of the tree as far as the series shows it)."""
    return [
        seen
        for seen in shown
        if seen.definition.kind in _PROVIDING and seen.after == (seen.number <= number)
    ]


def _guards_known(stage: Stage, providers: list[Shown], d: Definition, ref: Reference) -> bool:
    """In one file, the guards of both are known only when the hunks show all between them;
    the #endif might otherwise close and reopen unseen. Across files each fragment's own
    guards are all there is to go by."""
    if d.file != ref.file:
        return True
    here = any(s.definition is d and s.number == stage.number for s in providers)
    return here and stage.shows(ref.file, d.line, ref.line)


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
    guard = guard_text(missing)
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
            f"used under {guard_text(ref.guard) or 'no guard'}: {quote(ref)}",
        ),
    )
