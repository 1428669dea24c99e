"""Diff text to FileDiff values, with unidiff; malformed hunks become findings."""

from __future__ import annotations

from dataclasses import dataclass

from patchscope.diff.model import FileDiff
from patchscope.findings import Finding


@dataclass(frozen=True)
class ParsedDiff:
    files: tuple[FileDiff, ...]
    findings: tuple[Finding, ...]  # rule "malformed-hunk" etc.; the patch number left None
    malformed: bool


def parse_diff(diff_text: str) -> ParsedDiff:
    raise NotImplementedError
