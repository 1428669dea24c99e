"""undeclared-global: a new non-static function or variable used in a file that cannot see it."""

from __future__ import annotations

from patchscope.checks.scope import Stage, quote, stages
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
    for at, stage in enumerate(staged):
        for d in _new_globals(stage):
            if d.name in in_tree:
                continue
            for later in staged[at:]:
                for ref in later.facts.after.references:
                    key = (d.name, ref.file)
                    if key in findings or not _unseen(d, ref, staged, later):
                        continue
                    findings[key] = _finding(d, ref, later.number)
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


def _unseen(d: Definition, ref: Reference, staged: list[Stage], using: Stage) -> bool:
    """A use in another file with no declaration in a header or in that file itself."""
    if ref.name != d.name or ref.file == d.file or ref.kind not in _USES:
        return False
    for stage in staged:
        images = [stage.facts.before]
        if stage.number <= using.number:
            images.append(stage.facts.after)
        for image in images:
            for other in image.definitions:
                if other.name != d.name:
                    continue
                if other.file == ref.file or (
                    other.kind in _DECLARING and other.file.endswith(".h")
                ):
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
