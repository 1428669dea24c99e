"""Which patch needs which: blob ids and lines an earlier patch introduced."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from patchscope.diff.lineage import Replay, Touch, describe, replay
from patchscope.diff.model import FileDiff

ReasonKind = Literal["blob", "context", "removed"]

_ABBREV = 7  # git's shortest abbreviation of an object id


@dataclass(frozen=True)
class Reason:
    """Why a patch needs an earlier one: a blob it starts from, context or removed lines."""

    kind: ReasonKind  # blob: pre-image blob is an earlier post-image; context/removed: lines
    file: str
    detail: str


@dataclass(frozen=True)
class Dependency:
    """A patch that does not apply without an earlier one, and why."""

    patch: int
    depends_on: int
    reasons: tuple[Reason, ...]


def dependencies(
    patches: Sequence[tuple[int, Sequence[FileDiff]]], replayed: Replay | None = None
) -> tuple[Dependency, ...]:
    """Every (later, earlier) pair with its reasons, sorted by patch, then depends_on.

    Line reasons come from replaying the series (lineage.py), so a blank line or a
    lone '}' is attributed to the patch that really put it there; raises ReplayError
    when a patch cannot be placed on what the earlier ones leave.
    """
    replayed = replayed or replay(patches, with_trees=False)
    reasons: dict[tuple[int, int], list[Reason]] = {}
    for later, earlier, fd in _blob_matches(patches):
        detail = f"pre-image {fd.old_blob} is {earlier}/{replayed.total}'s post-image"
        reasons.setdefault((later, earlier), []).append(Reason("blob", fd.old_path, detail))
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


def _blob_matches(
    patches: Sequence[tuple[int, Sequence[FileDiff]]],
) -> Iterator[tuple[int, int, FileDiff]]:
    """(patch, the newest earlier patch whose post-image of the file is its pre-image, file).

    Abbreviations may differ in length, so ids are compared by prefix; git never
    abbreviates below 7 digits, so the first 7 narrow the search.
    """
    produced: dict[tuple[str, str], list[tuple[int, str]]] = {}  # (path, id[:7]) -> [(patch, id)]
    for number, files in patches:
        for fd in files:
            pre = fd.old_blob
            if pre and pre.strip("0"):
                for earlier, post in reversed(produced.get((fd.old_path, pre[:_ABBREV]), [])):
                    if post.startswith(pre) or pre.startswith(post):
                        yield number, earlier, fd
                        break
        for fd in files:
            if fd.new_blob:
                key = (fd.path, fd.new_blob[:_ABBREV])
                produced.setdefault(key, []).append((number, fd.new_blob))


def _by_pair(touches: Sequence[Touch], kind: str) -> dict[tuple[int, int], list[Touch]]:
    pairs: dict[tuple[int, int], list[Touch]] = {}
    for touch in touches:
        if touch.kind == kind:
            pairs.setdefault((touch.patch, touch.introduced_by), []).append(touch)
    return pairs
