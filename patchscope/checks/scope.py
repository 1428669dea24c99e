"""What several checks ask of a series: changed lines, guards, visible definitions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from patchscope.code.model import Definition, Image, PatchFacts, Reference, SeriesFacts
from patchscope.ingest.series import Patch, Series

# Kinds that make a name exist for the compiler (the others are uses or members).
DEFINING = frozenset({"function", "prototype", "macro", "global", "extern", "struct"})


@dataclass(frozen=True)
class Stage:
    """One patch with its facts and the post-image lines it adds."""

    patch: Patch
    facts: PatchFacts
    added: frozenset[tuple[str, int]]  # (file, post-image line) of every '+' line
    shown: frozenset[tuple[str, int]]  # (file, post-image line) of every line the hunks show

    @property
    def number(self) -> int:
        return self.facts.number

    def is_added(self, file: str, line: int) -> bool:
        """Whether the patch adds that post-image line (else the hunks show it as context)."""
        return (file, line) in self.added

    def shows(self, file: str, first: int, last: int) -> bool:
        """Whether the hunks show every post-image line from `first` to `last` of `file`."""
        low, high = min(first, last), max(first, last)
        return all((file, n) in self.shown for n in range(low, high + 1))


def stages(series: Series, facts: SeriesFacts) -> list[Stage]:
    """The patches in order, each paired with its facts (which series_facts made from it)."""
    by_number = {p.number: p for p in series.patches}
    staged = []
    for pf in sorted(facts.patches, key=lambda pf: pf.number):
        patch = by_number[pf.number]
        staged.append(Stage(patch, pf, _lines(patch, "+"), _lines(patch, "+ ")))
    return staged


def _lines(patch: Patch, kinds: str) -> frozenset[tuple[str, int]]:
    return frozenset(
        (fd.path, line.new_no)
        for fd in patch.files
        for hunk in fd.hunks
        for line in hunk.lines
        if line.kind in kinds and line.new_no is not None
    )


@dataclass(frozen=True)
class Shown:
    """A definition and where the series shows it: which patch, which image."""

    number: int  # the patch
    after: bool  # in its post-image (else its pre-image)
    definition: Definition


def shown_by_name(staged: Iterable[Stage]) -> dict[str, list[Shown]]:
    """Every definition any image shows, by name, so checks look up instead of scanning."""
    found: dict[str, list[Shown]] = {}
    for stage in staged:
        for after, image in ((False, stage.facts.before), (True, stage.facts.after)):
            for d in image.definitions:
                found.setdefault(d.name, []).append(Shown(stage.number, after, d))
    return found


def references_by_name(image: Image) -> dict[str, list[Reference]]:
    found: dict[str, list[Reference]] = {}
    for ref in image.references:
        found.setdefault(ref.name, []).append(ref)
    return found


def images(facts: Iterable[PatchFacts]) -> Iterator[Image]:
    for pf in facts:
        yield pf.before
        yield pf.after


def condition(text: str) -> str:
    """A guard condition in one spelling: `defined(X)`, `IS_ENABLED(X)` and `X` are alike."""
    text = " ".join(text.split())
    negated = False
    while text.startswith("!"):
        negated = not negated
        text = text[1:].strip()
    match = re.fullmatch(r"(?:defined|IS_ENABLED)\s*\(?\s*(\w+)\s*\)?", text)
    if match:
        text = match.group(1)
    if text.startswith("(") and text.endswith(")") and "(" not in text[1:-1]:
        text = text[1:-1].strip()
    return ("!" if negated else "") + text


def negate(cond: str) -> str:
    cond = condition(cond)
    return cond[1:] if cond.startswith("!") else "!" + cond


def guard_set(guard: Iterable[str]) -> frozenset[str]:
    return frozenset(condition(g) for g in guard)


def quote(where: Reference | Definition) -> str:
    """An evidence line: where the code is and what it says."""
    # a definition the fragment shows only the body of has no signature: name it instead
    text = where.text if isinstance(where, Reference) else where.signature or where.name
    return f"{where.file}:{where.line}: {text}"
