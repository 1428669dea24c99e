"""The cover letter's diffstat without the base tree: compose a series into one diff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from patchscope.diff.model import Diffstat, FileDiff


@dataclass(frozen=True)
class Composed:
    diffstat: Diffstat  # what `git diff --stat BASE..TIP` would count
    # path -> descriptions of lines one patch added and a later patch changed again,
    # e.g. "mm/sparse.c:812 added by 3/4, changed by 4/4"
    changed_again: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def compose(patches: Sequence[tuple[int, Sequence[FileDiff]]]) -> Composed:
    """`patches` is [(patch number, its files)] in series order."""
    raise NotImplementedError
