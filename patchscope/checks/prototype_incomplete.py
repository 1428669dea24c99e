"""prototype-incomplete: a changed prototype that some definition, declaration or call missed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from patchscope.checks.ctokens import CExprError, tokenize
from patchscope.checks.scope import Stage, quote, stages
from patchscope.code.callers import Shape, Site, signature_shape
from patchscope.code.model import Change, Definition, Reference, SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Series

RULE = "prototype-incomplete"


@dataclass(frozen=True)
class _Prototype:
    """One patch's change to one function's prototype: the shapes it left behind and made."""

    patch: int
    name: str
    old: frozenset[Shape]
    new: frozenset[Shape]
    evidence: str

    def counts(self, shapes: frozenset[Shape]) -> set[int]:
        return {len(s.params) for s in shapes if not s.variadic}


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    """The series' own sites after each change; with a tree, the tree's verdict on every
    file it finds a site of the function in, as the whole series leaves that file."""
    staged = stages(series, facts)
    protos = list(_prototypes(staged))
    findings: dict[tuple[str, str, str], Finding] = {}
    for proto in protos:
        for stage in staged:
            if stage.number < proto.patch or _superseded(proto, staged, stage):
                continue
            for site, finding in _stale(proto, stage):
                findings.setdefault((proto.name, finding.file or "", site), finding)
    if tree is None:
        return list(findings.values())
    judged = {(site.name, site.file) for site in tree.prototypes}
    kept = [f for key, f in findings.items() if (key[0], key[1]) not in judged]
    return kept + list(_tree_stale(protos, tree))


def _prototypes(staged: list[Stage]) -> Iterator[_Prototype]:
    for stage in staged:
        changes: dict[str, list[Change]] = {}
        for c in stage.facts.changes:
            if c.change == "prototype" and c.old_signature and c.new_signature:
                changes.setdefault(c.name, []).append(c)
        for name, found in sorted(changes.items()):
            old = _shapes(found, name, new=False)
            new = _shapes(found, name, new=True)
            was, now = found[0].old_signature, found[0].new_signature
            evidence = f"patch {stage.number} changes {was} -> {now}"
            yield _Prototype(stage.number, name, old - new, new, evidence)


def _shapes(changes: list[Change], name: str, *, new: bool) -> frozenset[Shape]:
    signatures = (c.new_signature if new else c.old_signature for c in changes)
    return frozenset(s for s in (signature_shape(sig or "", name) for sig in signatures) if s)


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
        site = d.name == proto.name and d.kind in ("function", "prototype")
        if site and signature_shape(d.signature, d.name) in proto.old:
            yield d.signature, _finding(proto, stage.number, d)
    old_counts = proto.counts(proto.old) - proto.counts(proto.new)
    for ref in after.references:
        call = ref.name == proto.name and ref.kind == "call"
        if call and arguments(ref.text, ref.name) in old_counts:
            yield ref.text, _finding(proto, stage.number, ref)


def _tree_stale(protos: list[_Prototype], tree: TreeFacts) -> Iterator[Finding]:
    """Sites the tree holds after the whole series that do not carry the last prototype,
    laid at the first patch that brought that prototype in (the one they fail to follow)."""
    last = {proto.name: proto for proto in protos}
    for site in tree.prototypes:
        proto = last.get(site.name)
        if proto is not None and site.carries is False and site.kind != "reference":
            first = min(p.patch for p in protos if p.name == proto.name and p.new & proto.new)
            yield _finding(dataclasses.replace(proto, patch=first), first, site)


_VERBS = {"call": "calls", "definition": "defines", "declaration": "declares"}


def _finding(proto: _Prototype, patch: int, site: Definition | Reference | Site) -> Finding:
    if isinstance(site, Site):
        what = _VERBS[site.kind]
        shown = f"{site.file}:{site.line}: {site.text}"
        if not site.in_series:
            shown += " (a file the series does not touch)"
    else:
        what = "calls" if isinstance(site, Reference) else "defines"
        if isinstance(site, Definition) and site.kind == "prototype":
            what = "declares"
        shown = quote(site)
    new = " or ".join(sorted(_describe(s) for s in proto.new))
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
        evidence=(proto.evidence, f"{what}: {shown}"),
    )


def _describe(shape: Shape) -> str:
    params = ", ".join(shape.params) or "void"
    return f"{shape.returns} ({params}{', ...' if shape.variadic else ''})"


def arguments(text: str, name: str) -> int | None:
    """How many arguments the first call of `name` on a line passes; None if it runs on.

    A call continued on the next line is not visible in a one-line Reference, so
    its count stays unknown rather than guessed.
    """
    try:
        tokens = tokenize(text)
    except CExprError:
        return None
    at = next((i for i, t in enumerate(tokens[:-1]) if t == name and tokens[i + 1] == "("), None)
    if at is None:
        return None
    inside = tokens[at + 2 :]
    commas, depth = 0, 0
    for i, token in enumerate(inside):
        if token in ("(", "[", "{"):
            depth += 1
        elif token in (")", "]", "}"):
            if depth == 0:
                return commas + 1 if i else 0
            depth -= 1
        elif token == "," and depth == 0:
            commas += 1
    return None
