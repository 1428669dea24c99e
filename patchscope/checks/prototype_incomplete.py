"""prototype-incomplete: a changed prototype that some definition, declaration or call missed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from patchscope.checks.cexpr import CExprError, is_identifier, tokenize
from patchscope.checks.scope import Stage, quote, stages
from patchscope.code.model import Change, Definition, Reference, SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Series

RULE = "prototype-incomplete"

# Words before a function name that say nothing about its type (kernel section and
# inlining annotations differ between architectures' definitions of one function).
_QUALIFIERS = frozenset({"static", "inline", "extern", "notrace", "asmlinkage", "noinline"})
_TYPE_WORDS = frozenset(
    {"void", "int", "long", "short", "char", "unsigned", "signed", "bool", "const", "struct"}
    | {"union", "enum", "volatile", "float", "double"}
)


@dataclass(frozen=True)
class Shape:
    """A prototype without names: return type words and parameter types."""

    returns: tuple[str, ...]
    params: tuple[tuple[str, ...], ...] | None  # None when variadic or unreadable

    def describe(self) -> str:
        params = "..." if self.params is None else ", ".join(" ".join(p) for p in self.params)
        return f"{' '.join(self.returns)} ({params})"


@dataclass(frozen=True)
class _Prototype:
    """One patch's change to one function's prototype: the shapes it left behind and made."""

    patch: int
    name: str
    old: frozenset[Shape]
    new: frozenset[Shape]
    evidence: str


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    staged = stages(series, facts)
    findings: dict[tuple[str, str, str], Finding] = {}
    for proto in _prototypes(staged):
        for stage in staged:
            if stage.number < proto.patch or _superseded(proto, staged, stage):
                continue
            for site, finding in _stale(proto, stage):
                findings.setdefault((proto.name, finding.file or "", site), finding)
    return list(findings.values())


def _prototypes(staged: list[Stage]) -> Iterator[_Prototype]:
    for stage in staged:
        changes: dict[str, list[Change]] = {}
        for c in stage.facts.changes:
            if c.change == "prototype" and c.old_signature and c.new_signature:
                changes.setdefault(c.name, []).append(c)
        for name, found in sorted(changes.items()):
            old = frozenset(shape(c.old_signature or "", name) for c in found)
            new = frozenset(shape(c.new_signature or "", name) for c in found)
            first = found[0]
            evidence = (
                f"patch {stage.number} changes {first.old_signature} -> {first.new_signature}"
            )
            yield _Prototype(stage.number, name, old - new, new, evidence)


def _superseded(proto: _Prototype, staged: list[Stage], stage: Stage) -> bool:
    """A later patch changed the same prototype again: judge by that change instead."""
    return any(
        proto.patch < s.number <= stage.number
        and any(c.change == "prototype" and c.name == proto.name for c in s.facts.changes)
        for s in staged
    )


def _stale(proto: _Prototype, stage: Stage) -> Iterator[tuple[str, Finding]]:
    """(the site's text, its finding) for each site in the post-image still on an old shape."""
    after = stage.facts.after
    for d in after.definitions:
        stale = d.kind in ("function", "prototype") and shape(d.signature, d.name) in proto.old
        if d.name == proto.name and stale:
            yield d.signature, _finding(proto, stage.number, d)
    old_counts = {_count(s) for s in proto.old} - {None}
    new_counts = {_count(s) for s in proto.new}
    for ref in after.references:
        if ref.name == proto.name and ref.kind == "call":
            count = arguments(ref.text, ref.name)
            if count in old_counts and count not in new_counts:
                yield ref.text, _finding(proto, stage.number, ref)


def _count(s: Shape) -> int | None:
    return None if s.params is None else len(s.params)


def _finding(proto: _Prototype, patch: int, site: Definition | Reference) -> Finding:
    if isinstance(site, Reference):
        what = "calls"
    else:
        what = "defines" if site.kind == "function" else "declares"
    new = " or ".join(sorted(s.describe() for s in proto.new))
    return Finding(
        rule=RULE,
        severity="error",
        message=(
            f"{site.file} still {what} {proto.name} the old way; patch {proto.patch} made it {new}"
        ),
        patch=patch,
        file=site.file,
        line=site.line,
        entity=proto.name,
        evidence=(proto.evidence, f"{what}: {quote(site)}"),
    )


def shape(signature: str, name: str) -> Shape:
    """The types of a `ret name(params)` prototype, parameter names dropped."""
    try:
        tokens = tokenize(signature.split("{", 1)[0])
    except CExprError:
        return Shape((signature,), None)
    at = next((i for i, t in enumerate(tokens[:-1]) if t == name and tokens[i + 1] == "("), None)
    if at is None:
        return Shape((signature,), None)
    returns = tuple(t for t in tokens[:at] if t not in _QUALIFIERS and not t.startswith("__"))
    params = _split(tokens, at + 1)
    if params is None or any(p == ("...",) for p in params):
        return Shape(returns, None)
    if params == [("void",)]:
        return Shape(returns, ())
    return Shape(returns, tuple(_type_of(p) for p in params))


def _type_of(param: tuple[str, ...]) -> tuple[str, ...]:
    """A parameter's type: its last word goes when it is a name rather than a type word."""
    if len(param) > 1 and is_identifier(param[-1]) and param[-1] not in _TYPE_WORDS:
        return param[:-1]
    return param


def arguments(text: str, name: str) -> int | None:
    """How many arguments the first call of `name` on a line passes; None if it runs on."""
    try:
        tokens = tokenize(text)
    except CExprError:
        return None
    at = next((i for i, t in enumerate(tokens[:-1]) if t == name and tokens[i + 1] == "("), None)
    if at is None:
        return None
    args = _split(tokens, at + 1)
    return None if args is None else len(args)


def _split(tokens: tuple[str, ...], open_at: int) -> list[tuple[str, ...]] | None:
    """Top-level comma-separated items between `(` at `open_at` and its `)`; None if unclosed.

    A call continued on the next line is not visible in a one-line Reference, so
    its count stays unknown rather than guessed.
    """
    items: list[tuple[str, ...]] = []
    current: list[str] = []
    depth = 0
    for token in tokens[open_at + 1 :]:
        if token in ("(", "[", "{"):
            depth += 1
        elif token in (")", "]", "}"):
            if depth == 0:
                if current or items:
                    items.append(tuple(current))
                return items
            depth -= 1
        if token == "," and depth == 0:
            items.append(tuple(current))
            current = []
        else:
            current.append(token)
    return None
