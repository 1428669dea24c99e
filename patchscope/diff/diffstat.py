"""Diffstats: the one a mail claims, the one its diff gives, and their comparison."""

from __future__ import annotations

from collections.abc import Sequence

from patchscope.diff.model import Diffstat, FileDiff
from patchscope.findings import Finding


def parse_claimed(notes: str) -> Diffstat | None:
    """The diffstat git wrote after '---' (or in a cover letter); None when there is none.

    Paths may be shortened by git to '.../tail'; they are kept as written.
    """
    raise NotImplementedError


def compute(files: Sequence[FileDiff]) -> Diffstat:
    raise NotImplementedError


def compare(
    claimed: Diffstat, computed: Diffstat, patch: int | None, rule: str
) -> tuple[Finding, ...]:
    """One error finding per file whose count differs, per missing/extra file, and the summary."""
    raise NotImplementedError
