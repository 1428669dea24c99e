"""claim-mismatch: a message that says rename, cleanup or no functional change, and a patch
that does more.

A rename may change identifiers only; "no functional change" and "cleanup" may not
change an `if`/`while` condition or the arguments a function is called with, once
the names the patch renames are mapped back.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from patchscope.checks.cexpr import is_identifier, scan
from patchscope.code.model import SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.diff.model import FileDiff, Hunk
from patchscope.findings import Finding
from patchscope.ingest.series import Patch, Series

RULE = "claim-mismatch"

# claim -> (its words, whether the body may say them mid-sentence). "Rename" and
# "clean up" in the body claim something only where a sentence starts with them: "the
# error path must clean up" describes code, "Clean up the error path." describes the patch.
# NFC is matched in capitals and not as a "NFC:" subsystem prefix (drivers/nfc).
_CLAIMS = {
    "rename": (re.compile(r"\b(?i:renam(?:e|es|ed|ing))\b"), False),
    "no functional change": (
        re.compile(r"(?i:\bno\s+functional(?:ity)?\s+changes?\b)|\bNFCI?\b(?!:)"),
        True,
    ),
    "cleanup": (re.compile(r"\b(?i:clean(?:s|ed|ing)?[ -]?ups?)\b"), False),
}
_SENTENCE = re.compile(r"(?:^|[.!?;:]\s+)\s*")
_KEYWORDS = frozenset(
    {"auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else"}
    | {"enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register"}
    | {"restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch"}
    | {"typedef", "union", "unsigned", "void", "volatile", "while", "bool"}
)
_CONDITIONS = frozenset({"if", "while"})
_NOT_CALLEES = _KEYWORDS | {"defined"}
_CALL_AFTER = frozenset({"return", "else", "case", "do"})


@dataclass(frozen=True)
class _Token:
    text: str
    file: str
    line: int  # in the side's image
    code: str  # the whole line, as evidence
    sign: str  # the hunk line's kind: "+", "-" or " "

    @property
    def changed(self) -> bool:
        return self.sign != " "


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    findings = []
    for patch in series.patches:
        for claim, quoted in claims(patch):
            found = _disproof(patch, claim)
            if found is not None:
                findings.append(_finding(patch.number, claim, quoted, *found))
    return findings


def claims(patch: Patch) -> Iterator[tuple[str, str]]:
    """(claim, the line that makes it) for each claim in the subject or the message."""
    for claim, (pattern, anywhere) in _CLAIMS.items():
        if pattern.search(patch.subject.title):
            yield claim, f"Subject: {patch.subject.title}"
            continue
        quoted = next(
            (line.strip() for line in patch.message.splitlines() if _says(pattern, line, anywhere)),
            None,
        )
        if quoted is not None:
            yield claim, quoted


def _says(pattern: re.Pattern[str], line: str, anywhere: bool) -> bool:
    if anywhere:
        return pattern.search(line) is not None
    return any(pattern.match(line, m.end()) for m in _SENTENCE.finditer(line))


# what the patch does beyond the claim, where, and the callee when it is a call
_Disproof = tuple[str, "_Token", str | None]


def _disproof(patch: Patch, claim: str) -> _Disproof | None:
    """What the patch changes beyond the claim, and where, or None when it keeps it."""
    hunks = [(fd, h) for fd in patch.files if _is_c(fd) for h in fd.hunks]
    mapping, odd = _renames(hunks)
    if claim == "rename":
        return None if odd is None else ("changes more than names", odd, None)
    return _changed_condition(hunks, mapping) or _changed_call(hunks, mapping)


def _is_c(fd: FileDiff) -> bool:
    return fd.path.endswith((".c", ".h")) and not fd.binary


def _side(fd: FileDiff, hunk: Hunk, kind: str) -> list[_Token]:
    """One image of a hunk ('-': context and removed lines, '+': context and added) as tokens."""
    lines = [hl for hl in hunk.lines if hl.kind in (" ", kind)]
    text = "\n".join(hl.text for hl in lines)
    starts = [0]
    for hl in lines[:-1]:
        starts.append(starts[-1] + len(hl.text) + 1)
    tokens = []
    for token, offset in scan(text, lenient=True):
        hl = lines[bisect.bisect_right(starts, offset) - 1]
        number = (hl.old_no if kind == "-" else hl.new_no) or 0
        tokens.append(_Token(token, fd.path, number, hl.text.strip(), hl.kind))
    return tokens


def _renames(hunks: list[tuple[FileDiff, Hunk]]) -> tuple[dict[str, str], _Token | None]:
    """Old -> new identifier pairs from the changed lines, and the first change that is no rename.

    Per hunk the removed and the added tokens must line up one to one, differing
    only in identifiers that map consistently over the whole patch. A pair is a
    rename only when the old name is gone from the post-images: `f(count)` ->
    `f(limit)` with `count` still in use passes another variable, a new value.
    """
    sides = {kind: [_side(fd, hunk, kind) for fd, hunk in hunks] for kind in "-+"}
    kept = {t.text for side in sides["+"] for t in side}
    mapping: dict[str, str] = {}
    odd: _Token | None = None
    for before, after in zip(sides["-"], sides["+"], strict=True):
        removed = [t for t in before if t.changed]
        added = [t for t in after if t.changed]
        for i, new in enumerate(added):
            old = removed[i].text if i < len(removed) else None
            if old == new.text or (old and _renamed(old, new.text, mapping, kept)):
                continue
            odd = odd or new
            break
        else:
            if len(removed) > len(added) and odd is None:
                odd = removed[len(added)]
    return mapping, odd


def _renamed(old: str, new: str, mapping: dict[str, str], kept: set[str]) -> bool:
    if not (is_identifier(old) and is_identifier(new)) or {old, new} & _KEYWORDS:
        return False
    if old in kept:
        return False
    return mapping.setdefault(old, new) == new


def _changed_condition(
    hunks: list[tuple[FileDiff, Hunk]], mapping: dict[str, str]
) -> _Disproof | None:
    before = Counter(c for c, _ in _conditions(hunks, "-", mapping))
    for cond, where in _conditions(hunks, "+", {}):
        if before[cond] > 0:
            before[cond] -= 1
        else:
            return "changes a condition", where, None
    gone = next((where for c, where in _conditions(hunks, "-", mapping) if before[c] > 0), None)
    return None if gone is None else ("removes a condition", gone, None)


def _conditions(
    hunks: list[tuple[FileDiff, Hunk]], kind: str, mapping: dict[str, str]
) -> Iterator[tuple[tuple[str, ...], _Token]]:
    """(normalised `if`/`while` expression, its keyword token) for each complete one."""
    for fd, hunk in hunks:
        tokens = _side(fd, hunk, kind)
        for i, token in enumerate(tokens[:-1]):
            if token.text in _CONDITIONS and tokens[i + 1].text == "(":
                group = _group(tokens, i + 1)
                if group is not None:
                    yield tuple(mapping.get(t.text, t.text) for t in group), token


def _changed_call(hunks: list[tuple[FileDiff, Hunk]], mapping: dict[str, str]) -> _Disproof | None:
    """A callee both images call whose arguments differ (a value reaching it changed)."""
    before: dict[str, Counter[tuple[str, ...]]] = {}
    for callee, args, _ in _calls(hunks, "-", mapping):
        before.setdefault(callee, Counter())[args] += 1
    after: dict[str, Counter[tuple[str, ...]]] = {}
    first: dict[str, _Token] = {}
    for callee, args, where in _calls(hunks, "+", {}):
        after.setdefault(callee, Counter())[args] += 1
        if callee in before and where.changed and before[callee][args] == 0:
            first.setdefault(callee, where)
    for callee, where in first.items():
        if after[callee] != before[callee]:
            return f"passes different arguments to {callee}", where, callee
    return None


def _calls(
    hunks: list[tuple[FileDiff, Hunk]], kind: str, mapping: dict[str, str]
) -> Iterator[tuple[str, tuple[str, ...], _Token]]:
    """(callee, normalised argument tokens, where) for each complete call in one image."""
    for fd, hunk in hunks:
        tokens = _side(fd, hunk, kind)
        for i, token in enumerate(tokens[:-1]):
            if not _is_call(tokens, i):
                continue
            group = _group(tokens, i + 1)
            if group is not None:
                args = tuple(mapping.get(t.text, t.text) for t in group)
                changed = any(t.changed for t in group) or token.changed
                where = _Token(
                    token.text, token.file, token.line, token.code, kind if changed else " "
                )
                yield mapping.get(token.text, token.text), args, where


def _is_call(tokens: list[_Token], i: int) -> bool:
    """`name (` not after a type or another name (that would be a declaration)."""
    name = tokens[i].text
    if not is_identifier(name) or name in _NOT_CALLEES or tokens[i + 1].text != "(":
        return False
    if i == 0:
        return True
    before = tokens[i - 1].text
    return not is_identifier(before) or before in _CALL_AFTER


def _group(tokens: list[_Token], open_at: int) -> list[_Token] | None:
    """The tokens inside the parentheses opening at `open_at`; None when the hunk cuts them."""
    depth = 0
    for j in range(open_at, len(tokens)):
        depth += tokens[j].text == "("
        depth -= tokens[j].text == ")"
        if depth == 0:
            return tokens[open_at + 1 : j]
    return None


def _finding(
    patch: int, claim: str, quoted: str, what: str, where: _Token, entity: str | None
) -> Finding:
    return Finding(
        rule=RULE,
        severity="warning",
        message=f'the message says "{claim}" but the patch {what}',
        patch=patch,
        file=where.file,
        line=where.line,
        entity=entity,
        evidence=(
            f"message: {quoted}",
            f"code: {where.file}:{where.line}: {where.sign}{where.code}",
        ),
    )
