"""undeclared-global: a new non-static function or variable used in a file that cannot see it."""

from __future__ import annotations

from patchscope.checks.scope import Shown, Stage, quote, references_by_name, shown_by_name, stages
from patchscope.code.model import Definition, Reference, SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding
from patchscope.ingest.series import Series

RULE = "undeclared-global"

_NEW = frozenset({"added", "renamed"})
_DECLARING = frozenset({"prototype", "extern"})
_USES = frozenset({"call", "use", "write"})


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    staged = stages(series, facts)
    findings: dict[tuple[str, str], Finding] = {}
    in_tree = _declared_in_tree(tree)
    shown = shown_by_name(staged)
    uses = [(stage.number, references_by_name(stage.facts.after)) for stage in staged]
    for at, stage in enumerate(staged):
        for d in _new_globals(stage):
            if d.name in in_tree:
                continue
            for number, named in uses[at:]:
                for ref in named.get(d.name, ()):
                    key = (d.name, ref.file)
                    if key not in findings and _unseen(d, ref, shown[d.name], number):
                        findings[key] = _finding(d, ref, number)
    return list(findings.values())


def _declared_in_tree(tree: TreeFacts | None) -> set[str]:
    """Functions a header of the tree (as the series leaves it) declares."""
    if tree is None:
        return set()
    return {s.name for s in tree.callers if s.kind == "declaration" and s.file.endswith(".h")}


def _new_globals(stage: Stage) -> list[Definition]:
    """Non-static functions and variables this patch adds or renames into being."""
    wanted = {
        (c.name, c.file)
        for c in stage.facts.changes
        if c.change in _NEW and c.kind in ("function", "global")
    }
    return [
        d
        for d in stage.facts.after.definitions
        if (d.name, d.file) in wanted and d.kind in ("function", "global") and not d.static
    ]


def _unseen(d: Definition, ref: Reference, shown: list[Shown], using: int) -> bool:
    """A use in another file with no declaration in a header or in that file itself, as the
    base (any pre-image) or the patches up to the using one show them."""
    if ref.file == d.file or ref.kind not in _USES:
        return False
    for seen in shown:
        if seen.after and seen.number > using:
            continue
        other = seen.definition
        if other.file == ref.file or (other.kind in _DECLARING and other.file.endswith(".h")):
            return False
    return True


def _finding(d: Definition, ref: Reference, patch: int) -> Finding:
    what = "function" if d.kind == "function" else "variable"
    return Finding(
        rule=RULE,
        severity="error",
        message=(
            f"{ref.file} uses {d.name}, a non-static {what} defined in {d.file}, "
            "but no header declares it: it would not compile"
        ),
        patch=patch,
        file=ref.file,
        line=ref.line,
        entity=d.name,
        evidence=(f"defined: {quote(d)}", f"used: {quote(ref)}"),
    )
