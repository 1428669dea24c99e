"""Apply a series to a base tree in memory, stage by stage, placing hunks as `patch` does.

Written by hand: unidiff parses diffs but does not apply them, and `git apply`/`patch`
would need the files on disk and report offsets only as prose. The rule is GNU patch's
without fuzz: a hunk goes where its pre-image (context and removed lines) matches, at the
stated line if it can, else at the nearest line either way, never overlapping the hunk
before it; a hunk that matches nowhere is left out and the rest of the patch goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from patchscope.code.tree import split_lines
from patchscope.diff.model import FileDiff, Hunk
from patchscope.findings import Finding
from patchscope.ingest.series import Series

if TYPE_CHECKING:
    from patchscope.code.tree import Tree


@dataclass(frozen=True)
class PlacedHunk:
    patch: int
    file: str  # the post-image path the patch names
    header: str  # "@@ -12,7 +12,8 @@", as git writes it
    stated: int  # the hunk's pre-image start line, as the patch states it
    placed: int | None  # where its pre-image matched in the file as the earlier stages left it
    offset: int | None  # placed - stated
    applied: bool
    reason: str  # why it did not apply; "" when it did


@dataclass(frozen=True)
class FileText:
    path: str
    # None: the file does not exist at this stage; a text always ends in a newline (a
    # missing one at the end of a file is not kept)
    text: str | None


@dataclass(frozen=True)
class Stage:
    """The touched files' texts after `patch` (0: the base tree)."""

    patch: int
    files: tuple[FileText, ...]  # sorted by path; every file the series touches up to here

    def text(self, path: str) -> str | None:
        return next((f.text for f in self.files if f.path == path), None)


@dataclass(frozen=True)
class Placement:
    hunks: tuple[PlacedHunk, ...]
    stages: tuple[Stage, ...]  # base, then one per patch in series order
    findings: tuple[Finding, ...]

    @property
    def final(self) -> Stage:
        return self.stages[-1]


# A file as the stages see it: its lines, or None when absent.
Lines = list[str] | None


def place_series(series: Series, tree: Tree) -> Placement:
    return place([(p.number, p.files) for p in series.patches], tree.read)


def place(
    patches: Sequence[tuple[int, Sequence[FileDiff]]], read: Callable[[str], str | None]
) -> Placement:
    """`patches` is [(patch number, its files)] in series order; `read` gives a base file."""
    state: dict[str, Lines] = {}
    for path in sorted(
        {name for _, files in patches for d in files for name in (d.path, d.old_path)}
    ):
        text = read(path)
        state[path] = None if text is None else split_lines(text)
    stages = [_snapshot(0, state)]
    hunks: list[PlacedHunk] = []
    for number, files in patches:
        for diff in files:
            hunks.extend(_apply_file(number, diff, state))
        stages.append(_snapshot(number, state))
    return Placement(tuple(hunks), tuple(stages), tuple(_findings(hunks)))


def _snapshot(number: int, state: dict[str, Lines]) -> Stage:
    return Stage(
        number,
        tuple(
            FileText(path, None if lines is None else _text(lines))
            for path, lines in sorted(state.items())
        ),
    )


def _text(lines: list[str]) -> str:
    """The lines each ended by a newline (one join, not a string made per line)."""
    return "\n".join(lines) + "\n" if lines else ""


def _apply_file(number: int, diff: FileDiff, state: dict[str, Lines]) -> list[PlacedHunk]:
    """Apply one file's hunks to `state`; added, deleted, renamed and copied files too."""
    source = state.get(diff.old_path)
    if diff.status == "added":
        if source is not None:
            return [_refused(number, diff, h, "the file to be created exists") for h in diff.hunks]
        source = []
    elif source is None:
        return [_refused(number, diff, h, "the file does not exist") for h in diff.hunks]
    if diff.binary:  # no lines to place; only the file's existence follows the patch
        result: Lines = source
        placed: list[PlacedHunk] = []
    else:
        result, placed = _apply_hunks(number, diff, source)
    if diff.status == "renamed":
        state[diff.old_path] = None
    state[diff.path] = None if diff.status == "deleted" else result
    return placed


def _apply_hunks(
    number: int, diff: FileDiff, lines: list[str]
) -> tuple[list[str], list[PlacedHunk]]:
    out: list[str] = []
    done = 0  # lines of `lines` already copied to `out`
    drift = 0  # the previous hunk's offset: patch looks there first for the next one
    placed: list[PlacedHunk] = []
    for hunk in diff.hunks:
        pre = [line.text for line in hunk.lines if line.kind != "+"]
        at = _find(lines, pre, _stated_index(hunk) + drift, done)
        if at is None:
            placed.append(_refused(number, diff, hunk, "its context does not match anywhere"))
            continue
        offset = at - _stated_index(hunk)
        drift = offset
        out.extend(lines[done:at])
        out.extend(line.text for line in hunk.lines if line.kind != "-")
        done = at + len(pre)
        placed.append(
            PlacedHunk(
                number,
                diff.path,
                _header(hunk),
                hunk.old_start,
                hunk.old_start + offset,
                offset,
                True,
                "",
            )
        )
    out.extend(lines[done:])
    return out, placed


def _stated_index(hunk: Hunk) -> int:
    """The 0-based index of the hunk's first pre-image line; '-5,0' inserts after line 5."""
    return hunk.old_start if hunk.old_len == 0 else hunk.old_start - 1


def _find(lines: list[str], pre: Sequence[str], want: int, lowest: int) -> int | None:
    """The index nearest `want` where `pre` matches; of two as near, the later one."""
    highest = len(lines) - len(pre)
    want = min(max(want, lowest), max(highest, lowest))
    if not pre:
        return next(_outwards(want, lowest, highest), None)
    # only the places that hold its first line can match, nearest first
    places = sorted(_holding(lines, pre[0], lowest, highest), key=lambda at: (abs(at - want), -at))
    wanted = list(pre)
    return next((at for at in places if lines[at : at + len(wanted)] == wanted), None)


def _holding(lines: list[str], line: str, lowest: int, highest: int) -> Iterator[int]:
    """Each index in [lowest, highest] of `line` (list.index skips the others in C)."""
    at = lowest
    while True:
        try:
            at = lines.index(line, at, highest + 1)
        except ValueError:
            return
        yield at
        at += 1


def _outwards(start: int, lowest: int, highest: int) -> Iterator[int]:
    """start, start+1, start-1, start+2, ... within [lowest, highest]."""
    if lowest <= start <= highest:
        yield start
    for step in range(1, max(start - lowest, highest - start) + 1):
        if start + step <= highest:
            yield start + step
        if start - step >= lowest:
            yield start - step


def _header(hunk: Hunk) -> str:
    return f"@@ -{_range(hunk.old_start, hunk.old_len)} +{_range(hunk.new_start, hunk.new_len)} @@"


def _range(start: int, length: int) -> str:
    """As git writes a hunk range: the length only when it is not 1."""
    return str(start) if length == 1 else f"{start},{length}"


def _refused(number: int, diff: FileDiff, hunk: Hunk, reason: str) -> PlacedHunk:
    return PlacedHunk(number, diff.path, _header(hunk), hunk.old_start, None, None, False, reason)


def _findings(hunks: Sequence[PlacedHunk]) -> Iterator[Finding]:
    for h in hunks:
        if not h.applied:
            yield Finding(
                rule="hunk-not-applied",
                severity="error",
                message=f"{h.file}: hunk {h.header} does not apply to the tree: {h.reason}",
                patch=h.patch,
                file=h.file,
                line=h.stated,
                evidence=(h.header,),
            )
        elif h.offset:
            yield Finding(
                rule="hunk-offset",
                severity="info",
                message=f"{h.file}: hunk {h.header} applies at line {h.placed} "
                f"(offset {h.offset:+d} lines)",
                patch=h.patch,
                file=h.file,
                line=h.placed,
                evidence=(h.header,),
            )
