"""Hunks to the pre-image and post-image text a patch shows, with real line numbers.

A file's fragment is its hunks' lines for one side, in line order, one piece per
run of consecutive lines.  The stretches between pieces are code nobody showed:
pieces are never joined across them, so every line keeps its true number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from patchscope.diff.model import FileDiff, Hunk

Side = Literal["before", "after"]
C_SUFFIXES = (".c", ".h")


@dataclass(frozen=True)
class Piece:
    """A run of consecutive lines of one side of a file, as the hunks show it."""

    start: int  # the real line number of lines[0]
    lines: tuple[str, ...]
    changed: frozenset[int]  # lines this side changes: '-' lines before, '+' lines after
    section: str  # the hunk header's hint (`@@ ... @@ hint`) of the hunk it starts with

    @property
    def end(self) -> int:
        return self.start + len(self.lines) - 1


@dataclass(frozen=True)
class Fragment:
    """One side of one file, in the pieces its hunks show."""

    path: str
    side: Side
    pieces: tuple[Piece, ...]


def is_c_file(path: str) -> bool:
    return path.endswith(C_SUFFIXES)


def file_fragments(diff: FileDiff) -> tuple[Fragment, Fragment]:
    """The (before, after) fragments of one file; a side the file lacks has no pieces."""
    before = _join([_hunk_piece(h, "before") for h in diff.hunks])
    after = _join([_hunk_piece(h, "after") for h in diff.hunks])
    return Fragment(diff.old_path, "before", before), Fragment(diff.path, "after", after)


def _hunk_piece(hunk: Hunk, side: Side) -> Piece | None:
    shown, changed_kind = (" -", "-") if side == "before" else (" +", "+")
    numbered = [
        (line.old_no if side == "before" else line.new_no, line)
        for line in hunk.lines
        if line.kind in shown
    ]
    if not numbered:
        return None
    start = numbered[0][0]
    assert start is not None  # a shown line always has a number on its own side
    changed = frozenset(no for no, line in numbered if line.kind == changed_kind and no)
    return Piece(start, tuple(line.text for _, line in numbered), changed, hunk.section)


def _join(pieces: list[Piece | None]) -> tuple[Piece, ...]:
    """Hunks that touch (zero context) make one piece; the rest stay apart."""
    joined: list[Piece] = []
    for piece in sorted((p for p in pieces if p is not None), key=lambda p: p.start):
        if joined and joined[-1].end + 1 == piece.start:
            last = joined[-1]
            piece = Piece(
                last.start, last.lines + piece.lines, last.changed | piece.changed, last.section
            )
            joined[-1] = piece
        else:
            joined.append(piece)
    return tuple(joined)
