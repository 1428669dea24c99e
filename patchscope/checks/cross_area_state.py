"""cross-area-state: a global a driver writes and core mm reads, state shared across areas."""

from __future__ import annotations

from patchscope.checks.ctokens import CExprError, tokenize
from patchscope.checks.scope import images, quote, stages
from patchscope.code.model import Definition, Reference, SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding
from patchscope.graph.areas import area_of
from patchscope.ingest.series import Series

RULE = "cross-area-state"


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    variables = _mutable_globals(facts)
    writes: dict[str, list[Reference]] = {}
    reads: dict[str, list[Reference]] = {}
    findings: dict[tuple[str, str], Finding] = {}
    for stage in stages(series, facts):
        for ref in stage.facts.after.references:
            if ref.name not in variables or ref.in_function is None:
                continue
            if ref.kind == "write" and area_of(ref.file) == "drivers":
                writes.setdefault(ref.name, []).append(ref)
            elif ref.kind == "use" and area_of(ref.file) == "mm":
                reads.setdefault(ref.name, []).append(ref)
        for name in sorted(writes.keys() & reads.keys()):
            for write in writes[name]:
                key = (name, write.file)
                if key not in findings:
                    findings[key] = _finding(stage.number, variables[name], write, reads[name][0])
    return list(findings.values())


def _mutable_globals(facts: SeriesFacts) -> dict[str, Definition]:
    """File-scope variables (defined or declared extern) that are not const."""
    found: dict[str, Definition] = {}
    constant: set[str] = set()
    for image in images(facts.patches):
        for d in image.definitions:
            if d.kind in ("global", "extern"):
                found.setdefault(d.name, d)
                if _const(d):
                    constant.add(d.name)
    return {name: d for name, d in found.items() if name not in constant}


def _const(d: Definition) -> bool:
    """`const` before the name (a `const char *p` pointer itself stays writable)."""
    try:
        tokens = tokenize(d.signature.split("=", 1)[0])
    except CExprError:
        return False
    head = tokens[: tokens.index(d.name)] if d.name in tokens else tokens
    return "const" in head and head[-1:] != ("*",)


def _finding(patch: int, d: Definition, write: Reference, read: Reference) -> Finding:
    return Finding(
        rule=RULE,
        severity="warning",
        message=(
            f"{write.in_function} in {write.file} writes the global {d.name}, "
            f"which {read.in_function} in {read.file} reads: driver state steers core mm"
        ),
        patch=patch,
        file=write.file,
        line=write.line,
        entity=d.name,
        evidence=(f"global: {quote(d)}", f"written: {quote(write)}", f"read: {quote(read)}"),
    )
