"""Every static check over one series, in one list."""

from __future__ import annotations

from collections.abc import Callable

from patchscope.checks import (
    bisect_order,
    claim_mismatch,
    cross_area_state,
    guard_mismatch,
    macro_precedence,
    prototype_incomplete,
    rename_leftover,
    undeclared_global,
)
from patchscope.code.model import SeriesFacts
from patchscope.code.tree import TreeFacts
from patchscope.findings import Finding, sort_findings
from patchscope.ingest.series import Series

Check = Callable[[Series, SeriesFacts, TreeFacts | None], list[Finding]]

# rule id -> check; the ids are stable: baselines and hooks name them
CHECKS: dict[str, Check] = {
    module.RULE: module.check
    for module in (
        macro_precedence,
        undeclared_global,
        guard_mismatch,
        prototype_incomplete,
        rename_leftover,
        bisect_order,
        claim_mismatch,
        cross_area_state,
    )
}


def run_checks(
    series: Series, facts: SeriesFacts, tree: TreeFacts | None = None
) -> tuple[Finding, ...]:
    """All static checks' findings, in the order every command prints them."""
    found = [f for check in CHECKS.values() for f in check(series, facts, tree)]
    return tuple(sort_findings(found))
