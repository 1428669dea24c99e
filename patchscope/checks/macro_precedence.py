"""macro-precedence: a macro body without parentheses, used where C groups it differently."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patchscope.code.model import SeriesFacts
    from patchscope.code.tree import TreeFacts
    from patchscope.findings import Finding
    from patchscope.ingest.series import Series

RULE = "macro-precedence"


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    shown = (
        d for pf in facts.patches for image in (pf.before, pf.after) for d in image.definitions
    )
    if not any(d.kind == "macro" for d in shown):
        return []  # every suspect is a macro the series shows
    # expanding and evaluating loads the C evaluator and the solver's glue: only a macro needs them
    from patchscope.checks.macro_judge import judge

    return judge(series, facts)
