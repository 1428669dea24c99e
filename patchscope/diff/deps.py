"""Which patch needs which: blob ids and lines an earlier patch introduced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from patchscope.diff.model import FileDiff

ReasonKind = Literal["blob", "context", "removed"]


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind  # blob: pre-image blob is an earlier post-image; context/removed: lines
    file: str
    detail: str


@dataclass(frozen=True)
class Dependency:
    patch: int
    depends_on: int
    reasons: tuple[Reason, ...]


def dependencies(patches: Sequence[tuple[int, Sequence[FileDiff]]]) -> tuple[Dependency, ...]:
    raise NotImplementedError
