"""A patch's before and after images compared entity by entity into Change values."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from patchscope.code.model import Change, ChangeKind, Definition, Image

# Words that do not belong to a function's type: storage, inlining, and the kernel's
# section/attribute annotations (any `__word` when a real type word remains).
_NOT_TYPE = frozenset({"static", "inline", "extern", "__inline", "__inline__"})
_STAR = re.compile(r"\s*\*\s*")
RENAME_SIMILARITY = 0.8  # bodies at least this alike (after the renaming) count as one


@dataclass(frozen=True)
class Entity:
    """One definition as a patch side shows it, with every stretch of lines it covers."""

    head: Definition
    spans: tuple[tuple[int, int], ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return self.head.file, self.head.kind, self.head.name


def patch_changes(
    number: int,
    before: Image,
    after: Image,
    changed: Mapping[tuple[str, str], frozenset[int]],
    renamed_files: Mapping[str, str],
) -> tuple[Change, ...]:
    """Changes of one patch; `changed` maps (side, file) to the lines that side changes."""
    old = _group(before.definitions, renamed_files)
    new = _group(after.definitions, {})
    found: list[Change] = []
    removed: list[Entity] = []
    added: list[Entity] = []
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key, []), new.get(key, [])
        for a, b in zip(was, now, strict=False):
            change = _compare(number, a, b, changed)
            if change is not None:
                found.append(change)
        removed.extend(was[len(now) :])
        added.extend(now[len(was) :])
    found.extend(_renames(number, removed, added))
    found.extend(_change(number, e.head, "added") for e in added)
    found.extend(_change(number, e.head, "removed") for e in removed)
    return tuple(sorted(found, key=lambda c: (c.file, c.line, c.kind, c.name)))


def _group(
    definitions: Iterable[Definition], renamed_files: Mapping[str, str]
) -> dict[tuple[str, str, str], list[Entity]]:
    """Same-named definitions per file in line order; a headerless piece joins the one above."""
    grouped: dict[tuple[str, str, str], list[Entity]] = {}
    for d in sorted(definitions, key=lambda d: (d.file, d.line)):
        key = (renamed_files.get(d.file, d.file), d.kind, d.name)
        entities = grouped.setdefault(key, [])
        span = (d.line, d.end_line)
        if entities and d.kind == "function" and not d.signature:
            last = entities[-1]
            entities[-1] = Entity(last.head, (*last.spans, span))
        else:
            entities.append(Entity(d, (span,)))
    return grouped


def _compare(
    number: int, old: Entity, new: Entity, changed: Mapping[tuple[str, str], frozenset[int]]
) -> Change | None:
    a, b = old.head, new.head
    detail = _prototype_detail(a, b)
    if detail:
        return _change(number, b, "prototype", detail=detail, old=a)
    # The first piece's visible body is compared as text (a reflowed header is no
    # change); the function's later pieces count when the patch changes a line there.
    later = _touched(old, changed.get(("before", a.file), frozenset())) or _touched(
        new, changed.get(("after", b.file), frozenset())
    )
    return _change(number, b, "body") if a.body != b.body or later else None


def _touched(entity: Entity, lines: frozenset[int]) -> bool:
    return any(start <= line <= end for start, end in entity.spans[1:] for line in lines)


def _prototype_detail(a: Definition, b: Definition) -> str:
    """What differs in type or parameters; "" when nothing does (or a header is unseen)."""
    if not a.signature or not b.signature:
        return ""
    if a.kind in ("function", "prototype"):
        parts = []
        old_type, old_params = split_signature(a.signature, a.name)
        new_type, new_params = split_signature(b.signature, b.name)
        if old_type != new_type:
            parts.append(f"return type {old_type} -> {new_type}")
        if old_params != new_params:
            parts.append(f"parameters {old_params} -> {new_params}")
        return "; ".join(parts)
    if a.kind == "macro":
        old_params, new_params = _macro_params(a), _macro_params(b)
        return f"parameters {old_params} -> {new_params}" if old_params != new_params else ""
    if a.kind in ("field", "global", "extern") and _norm(a.signature) != _norm(b.signature):
        return f"type {_without_name(a)} -> {_without_name(b)}"
    return ""


def split_signature(signature: str, name: str) -> tuple[str, str]:
    """(return type, "(parameters)") of a folded function signature, annotations dropped."""
    at = re.search(rf"\b{re.escape(name)}\s*\(", signature)
    if at is None:
        return _norm(signature), ""
    words = _STAR.sub(" * ", signature[: at.start()]).split()
    kept = [w for w in words if w not in _NOT_TYPE]
    typed = [w for w in kept if not w.startswith("__")] or kept[:1]
    params = _balanced(signature[at.end() - 1 :])
    return _norm(" ".join(typed)), _norm(params)


def _balanced(text: str) -> str:
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if depth == 0:
            return text[: i + 1]
    return text


def _macro_params(d: Definition) -> str:
    rest = d.signature.removeprefix(f"#define {d.name}")
    return _norm(_balanced(rest)) if rest.startswith("(") else ""


def _without_name(d: Definition) -> str:
    member = d.name.rpartition(".")[2]
    return _norm(re.sub(rf"\b{re.escape(member)}\b", "", d.signature, count=1))


def _norm(text: str) -> str:
    """One spelling for pointer stars and spaces: `char *p`, `char* p` and `char * p` agree."""
    text = _STAR.sub(" *", text)
    text = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", text))
    return " ".join(text.split())


def _renames(number: int, removed: list[Entity], added: list[Entity]) -> list[Change]:
    """Pair a removed and an added entity that differ only by name; both leave the lists."""
    found = []
    for old in list(removed):
        new = _rename_partner(old.head, added)
        if new is None:
            continue
        removed.remove(old)
        added.remove(new)
        detail = f"from {old.head.name}"
        found.append(_change(number, new.head, "renamed", detail=detail, old=old.head))
    return found


def _rename_partner(old: Definition, added: list[Entity]) -> Entity | None:
    candidates = [
        e
        for e in added
        if e.head.kind == old.kind and e.head.signature and _same_but_name(old, e.head)
    ]
    candidates.sort(key=lambda e: (e.head.file != old.file, abs(e.head.line - old.line)))
    return candidates[0] if candidates else None


def _same_but_name(old: Definition, new: Definition) -> bool:
    def renamed(text: str) -> str:
        return re.sub(rf"\b{re.escape(old.name)}\b", new.name, text)

    if _norm(renamed(old.signature)) != _norm(new.signature):
        return False
    before, after = renamed(old.body), new.body
    if before == after:
        return True
    return difflib.SequenceMatcher(None, before, after).ratio() >= RENAME_SIMILARITY


def _change(
    number: int,
    d: Definition,
    change: ChangeKind,
    *,
    detail: str = "",
    old: Definition | None = None,
) -> Change:
    renamed = change == "renamed" and old is not None
    return Change(
        patch=number,
        kind=d.kind,
        name=d.name,
        file=d.file,
        line=d.line,
        change=change,
        detail=detail,
        old_name=old.name if renamed and old is not None else None,
        old_signature=old.signature if old is not None else None,
        new_signature=d.signature if old is not None else None,
    )
