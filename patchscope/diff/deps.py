"""Which patch needs which: blob ids and lines an earlier patch introduced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from patchscope.diff.lineage import Touch, describe, replay
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
    """Every (later, earlier) pair with its reasons, sorted by patch, then depends_on.

    Line reasons come from replaying the series (lineage.py), so a blank line or a
    lone '}' is attributed to the patch that really put it there; raises ReplayError
    when a patch cannot be placed on what the earlier ones leave.
    """
    replayed = replay(patches)
    reasons: dict[tuple[int, int], list[Reason]] = {}
    for index, (number, files) in enumerate(patches):
        for fd in files:
            producer = _blob_producer(fd, patches[:index])
            if producer is not None:
                detail = f"pre-image {fd.old_blob} is {producer}/{replayed.total}'s post-image"
                reasons.setdefault((number, producer), []).append(
                    Reason("blob", fd.old_path, detail)
                )
    line_kinds: tuple[ReasonKind, ...] = ("context", "removed")
    for kind in line_kinds:
        for (later, earlier), touches in _by_pair(replayed.touches, kind).items():
            for path, runs in describe(touches, replayed.total).items():
                pair = reasons.setdefault((later, earlier), [])
                pair.extend(Reason(kind, path, run) for run in runs)
    return tuple(
        Dependency(later, earlier, tuple(found))
        for (later, earlier), found in sorted(reasons.items())
    )


def _blob_producer(fd: FileDiff, earlier: Sequence[tuple[int, Sequence[FileDiff]]]) -> int | None:
    """The newest earlier patch whose post-image of this file is this pre-image.

    Abbreviations may differ in length, so ids are compared by prefix.
    """
    pre = fd.old_blob
    if not pre or not pre.strip("0"):
        return None
    for number, files in reversed(earlier):
        for other in files:
            post = other.new_blob
            if (
                other.path == fd.old_path
                and post
                and (post.startswith(pre) or pre.startswith(post))
            ):
                return number
    return None


def _by_pair(touches: Sequence[Touch], kind: str) -> dict[tuple[int, int], list[Touch]]:
    pairs: dict[tuple[int, int], list[Touch]] = {}
    for touch in touches:
        if touch.kind == kind:
            pairs.setdefault((touch.patch, touch.introduced_by), []).append(touch)
    return pairs
