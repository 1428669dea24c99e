"""claim-mismatch's comparing side: each patch that claims a rename, a cleanup or no
functional change, its changed expressions compared by the solver (nfc.py) and judged.
claim_mismatch.py finds the claims and loads this module only when there is one."""

from __future__ import annotations

from collections.abc import Iterator

from patchscope.checks import kernel_facts
from patchscope.checks.cexpr import is_identifier
from patchscope.checks.claim_mismatch import NOT_PROVED, PROVED, RULE, SEVERITY
from patchscope.checks.hunkcode import Token, images, is_c
from patchscope.checks.knowledge import Knowledge, knowledge
from patchscope.checks.nfc import Comparison, compare_patch, conversions, pairs_text
from patchscope.checks.verdict import Budget
from patchscope.code.model import PatchFacts, SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Patch

_KEYWORDS = frozenset(
    {"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else"}
    | {"enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register"}
    | {"restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch"}
    | {"typedef", "union", "unsigned", "void", "volatile", "while", "bool"}
)
# what a refuted comparison of each kind says the patch does
_CHANGES = {
    "assign": "changes a value",
    "return": "changes a returned value",
    "call": "passes different arguments to {key}",
}


def judge(
    claimed: list[tuple[Patch, list[tuple[str, str]]]], facts: SeriesFacts, tree: TreeFacts | None
) -> list[Finding]:
    """The findings on each (patch, its claims), the solver's time shared by the series."""
    findings: list[Finding] = []
    known: dict[int, tuple[Knowledge, Knowledge]] | None = None
    budget = Budget()
    by_number = {pf.number: pf for pf in facts.patches}
    for patch, said in claimed:
        if patch.number not in by_number:
            continue
        if known is None:
            known = knowledge(facts, tree)
        pf = by_number[patch.number]
        hunks = [(fd, h) for fd in patch.files if is_c(fd) for h in fd.hunks]
        shown = images(hunks)
        mapping, odds = _renames(shown)
        compared = compare_patch(hunks, shown, known[patch.number], mapping, budget)
        compared += conversions(pf, known[patch.number], budget)
        findings.extend(_judge(patch.number, said, compared, _unexplained(odds, compared, pf)))
    return findings


def _judge(
    number: int, said: list[tuple[str, str]], compared: list[Comparison], odd: Token | None
) -> Iterator[Finding]:
    claim, quoted = next(((c, q) for c, q in said if c != "rename"), said[0])
    refuted = next((c for c in compared if c.verdict.outcome == "refuted"), None)
    if refuted is not None:
        yield _refutation(number, claim, quoted, refuted)
        return
    if odd is not None and any(c == "rename" for c, _ in said):
        rename = next(q for c, q in said if c == "rename")
        yield Finding(
            rule=RULE,
            severity=SEVERITY,
            message='the message says "rename" but the patch changes more than names',
            patch=number,
            file=odd.file,
            line=odd.line,
            evidence=(f"message: {rename}", f"code: {odd.file}:{odd.line}: {odd.sign}{odd.code}"),
        )
    for rule, outcome in ((PROVED, "proved"), (NOT_PROVED, "not proved")):
        chosen = [c for c in compared if c.verdict.outcome == outcome]
        if chosen:
            yield _summary(rule, number, claim, quoted, chosen)


def _refutation(number: int, claim: str, quoted: str, c: Comparison) -> Finding:
    at = c.after or c.before
    assert at is not None
    kind = "call" if c.callee else at.kind
    what = _CHANGES.get(kind, "changes a condition").format(key=c.callee or at.key)
    v = c.verdict
    evidence = [f"message: {quoted}"]
    evidence += [
        f"code: {s.where.file}:{s.where.line}: {s.where.sign}{s.where.code}"
        for s in (c.after, c.before)
        if s
    ]
    evidence.append(f"compared: {c.compared[0]}  vs  {c.compared[1]}")
    evidence.append(f"counterexample: {', '.join(v.counterexample) or 'any input'}")
    evidence.append(f"values: before {v.values[0]}, after {v.values[1]}")
    evidence += [f"assuming: {p}" for p in v.premises]
    evidence += _cited(c.sources)
    return Finding(
        rule=RULE,
        severity=SEVERITY,
        message=f'the message says "{claim}" but the patch {what}: they differ where '
        + ", ".join(v.counterexample or ("for any input",)),
        patch=number,
        file=at.where.file,
        line=at.where.line,
        entity=c.callee,
        evidence=tuple(evidence),
    )


def _summary(rule: str, number: int, claim: str, quoted: str, chosen: list[Comparison]) -> Finding:
    first = chosen[0].after or chosen[0].before
    assert first is not None
    outcome = "proved" if rule == PROVED else "not proved"
    n = len(chosen)
    premises = dict.fromkeys(p for c in chosen for p in c.verdict.premises)
    sources = sorted({s for c in chosen for s in c.sources})
    return Finding(
        rule=rule,
        severity="info",
        message=f'"{claim}" {outcome} for {n} changed expression{"s" if n > 1 else ""}',
        patch=number,
        file=first.where.file,
        line=first.where.line,
        evidence=(
            f"message: {quoted}",
            *pairs_text(chosen),
            *(f"assuming: {p}" for p in premises),
            *_cited(sources),
        ),
    )


def _cited(sources: list[str] | tuple[str, ...]) -> list[str]:
    """Where each definition a comparison used comes from: the kernel facts table or the series."""
    out = []
    for name in sources:
        if name in kernel_facts.BY_NAME:
            out.append(f"definition: {kernel_facts.cite(name)}")
        else:
            out.append(f"inlined: {name}, as the series defines it")
    return out


def _unexplained(odds: list[Token], compared: list[Comparison], pf: PatchFacts) -> Token | None:
    """The first change no rename explains and no proved comparison covers.

    A proved comparison covers its own lines and the helpers it inlined: an inverted
    helper's body is what makes its negated callers equal.
    """
    covered: set[tuple[str, str, int]] = set()
    inlined = set()
    for c in compared:
        if c.verdict.outcome != "proved":
            continue
        covered |= {(s.where.sign, s.where.file, s.where.line) for s in (c.before, c.after) if s}
        inlined |= {name[:-2] for name in c.sources if name.endswith("()")}
    for sign, image in (("-", pf.before), ("+", pf.after)):
        for d in image.definitions:
            if d.name in inlined:
                covered |= {(sign, d.file, n) for n in range(d.line, d.end_line + 1)}
    return next((t for t in odds if (t.sign, t.file, t.line) not in covered), None)


def _renames(shown: list[tuple[list[Token], list[Token]]]) -> tuple[dict[str, str], list[Token]]:
    """Old -> new identifier pairs from the changed lines, and per hunk the first change
    that is no rename.

    Per hunk the removed and the added tokens must line up one to one, differing
    only in identifiers that map consistently over the whole patch. A pair is a
    rename only when the old name is gone from the post-images: `f(count)` ->
    `f(limit)` with `count` still in use passes another variable, a new value.
    """
    kept = {t.text for _, after in shown for t in after}
    mapping: dict[str, str] = {}
    odds: list[Token] = []
    for before, after in shown:
        removed = [t for t in before if t.changed]
        added = [t for t in after if t.changed]
        for i, new in enumerate(added):
            old = removed[i].text if i < len(removed) else None
            if old == new.text or (old and _renamed(old, new.text, mapping, kept)):
                continue
            odds.append(new)
            break
        else:
            if len(removed) > len(added):
                odds.append(removed[len(added)])
    return mapping, odds


def _renamed(old: str, new: str, mapping: dict[str, str], kept: set[str]) -> bool:
    if not (is_identifier(old) and is_identifier(new)) or {old, new} & _KEYWORDS:
        return False
    if old in kept:
        return False
    return mapping.setdefault(old, new) == new
