"""Line provenance through a series: replay the patches on a synthetic base tree.

No maintained library replays a series of diffs without the tree they were made
against (patchutils' combinediff is a C tool working on diff text), so this is
written by hand. Each file is a sequence of line origins: base lines (by their
number in the base file; a stretch no hunk has shown is kept as one `range`) and
lines some patch added. A hunk is placed at exactly the position its numbers name
in the state the earlier patches left, its context and removed lines are checked
against what is known there, and base lines no hunk shows become unique filler
lines. The result is a base tree and a tip tree that differ exactly as the series
says, plus every place where a patch leans on a line an earlier patch introduced.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final, Literal

from patchscope.diff.model import FileDiff, Hunk, HunkLine
from patchscope.errors import PatchscopeError

DEFAULT_MODE = "100644"
EXECUTABLE_MODE = "100755"
# No source file comes near this many lines (the kernel's longest, generated register
# headers, hold a few hundred thousand). A hunk naming a line past it is broken or hostile,
# and a renamed file is written one filler per line up to the last line a hunk names.
MAX_LINE = 1_000_000


class ReplayError(PatchscopeError):
    """A patch cannot be placed on the state the earlier patches leave."""


@dataclass(frozen=True)
class Touch:
    """A later patch shows (context) or removes a line an earlier patch introduced."""

    patch: int
    path: str  # the file as the later patch names it (its pre-image path)
    kind: Literal["context", "removed"]
    line: int  # the line's number in the later patch's pre-image
    introduced_by: int


@dataclass(frozen=True)
class FileContent:
    """A file of a replayed tree: its bytes and git mode."""

    data: bytes  # exactly what goes on disk
    mode: str  # git mode, "100644" or "100755"


@dataclass(frozen=True)
class Replay:
    """A series replayed on a made-up base: both trees, and the lines each patch touches."""

    base: Mapping[str, FileContent]  # every file the series needs from the base tree
    tip: Mapping[str, FileContent]  # the same files after the whole series
    # (base and tip are empty when replay() was asked for the touches only)
    touches: tuple[Touch, ...]  # in patch, file and hunk order
    total: int  # the series' patch count used in "3/4" labels


def replay(patches: Sequence[tuple[int, Sequence[FileDiff]]], with_trees: bool = True) -> Replay:
    """Replay the series in order; raises ReplayError naming the patch, file and hunk.

    Without `with_trees` only the touches are kept (the trees cost the most).
    """
    total = max((number for number, _ in patches), default=0)
    replayer = _Replayer(total)
    for number, files in patches:
        for fd in files:
            _check_path(number, total, fd.path)
            _check_path(number, total, fd.old_path)
            replayer.run_file(number, fd)
    if not with_trees:
        return Replay({}, {}, tuple(replayer.touches), total)
    base, tip = _Renderer(replayer.bases, replayer.state).trees()
    _check_tree(base, "base")
    _check_tree(tip, "tip")
    return Replay(base, tip, tuple(replayer.touches), total)


def write_tree(root: Path, files: Mapping[str, FileContent]) -> None:
    """Write a replayed tree under `root` (paths were checked to stay inside it)."""
    for path, content in files.items():
        dest = root / path
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(content.data)
        except OSError as exc:  # a name too long for the file system, a full disk
            raise ReplayError(
                f"cannot write {path!r} of the composed tree: {exc.strerror}"
            ) from None
        if content.mode == EXECUTABLE_MODE:
            dest.chmod(0o755)


def describe(touches: Iterable[Touch], total: int, then: str = "") -> dict[str, list[str]]:
    """Runs of consecutive lines per file: "mm/sparse.c:812-815 added by 2/4".

    With `then` (a verb), the later patch is named too: ", changed by 4/4".
    """
    described: dict[str, list[str]] = {}
    for run in _touch_runs(touches):
        first, last = run[0], run[-1]
        span = f"{first.line}" if first is last else f"{first.line}-{last.line}"
        text = f"{first.path}:{span} added by {first.introduced_by}/{total}"
        if then:
            text += f", {then} by {first.patch}/{total}"
        described.setdefault(first.path, []).append(text)
    return described


def _touch_runs(touches: Iterable[Touch]) -> list[list[Touch]]:
    """Consecutive lines one patch shows the same way and one earlier patch introduced."""
    runs: list[list[Touch]] = []
    for t in touches:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and (t.patch, t.path, t.kind, t.introduced_by)
            == (last.patch, last.path, last.kind, last.introduced_by)
            and t.line == last.line + 1
        ):
            runs[-1].append(t)
        else:
            runs.append([t])
    return runs


# --- the replay state ------------------------------------------------------------------
# Its classes are told apart by identity (eq=False), and the workers hold too much to print
# usefully (repr=False): dataclass writes fewer methods, each compiled from source at
# import (about 1M instructions each, start-up a reviewer feels).


class _Added:
    """A line a patch added; identity matters, two equal texts are two lines. A plain class
    (Final for frozen), as the workers below: a dataclass would compile its methods from
    source on every start-up."""

    __slots__ = ("patch", "text")

    def __init__(self, patch: int, text: str) -> None:
        self.patch: Final = patch
        self.text: Final = text


# One position of a file (a base line number, or an added line), or a stretch of
# base lines no hunk has looked at yet.
_Line = int | _Added
_Item = _Line | range


# The workers below are plain classes, not dataclasses: nothing compares or prints them,
# and dataclass would compile each one's __init__ from source on every start-up.


class _Base:
    """What the series reveals of one base file."""

    def __init__(self, path: str, mode: str) -> None:
        self.path = path
        self.mode = mode
        self.texts: dict[int, str] = {}  # base line -> text a hunk showed
        self.shown_by: dict[int, int] = {}  # base line -> first patch showing it
        self.needed = 0  # highest base line number any state refers to
        self.length: int | None = None  # known once a hunk proves where the file ends
        self.binary: bytes | None = None


class _File:
    """One file's current state; past `items` come base lines from `next_base` on."""

    def __init__(
        self,
        base: _Base | None,  # None when a patch created the file
        mode: str,
        next_base: int | None,  # None once the end of the file is known
        binary: bytes | None = None,
    ) -> None:
        self.base = base
        self.mode = mode
        self.next_base = next_base
        self.items: list[_Item] = []
        self.widths: list[int] = []  # positions each item covers
        self.count = 0  # positions `items` covers
        self.binary = binary

    def copy(self) -> _File:
        """A copied file's state: the same lines, in lists of its own."""
        twin = _File(self.base, self.mode, self.next_base, self.binary)
        twin.items, twin.widths, twin.count = list(self.items), list(self.widths), self.count
        return twin

    def sequence(self, length: int) -> list[_Item]:
        """Every line of the file, given the base file's final length."""
        if self.next_base is None or self.next_base > length:
            return self.items
        return [*self.items, range(self.next_base, length + 1)]


class _Reader:
    """Walks a file's old items into a new list: whole items in bulk, lines one by one.

    Bulk copies are list slices found by bisection, so a patch costs little more
    than its own lines even on a file many earlier patches have touched.
    """

    def __init__(self, items: list[_Item], widths: list[int]) -> None:
        self.items = items
        self.widths = widths
        self.ends = list(itertools.accumulate(widths))  # positions covered through items[i]
        self.index = 0
        self.offset = 0  # positions already taken from items[index] (a range)
        self.out: list[_Item] = []
        self.out_widths: list[int] = []

    def position(self) -> int:
        """Positions read so far."""
        return (self.ends[self.index - 1] if self.index else 0) + self.offset

    def copy(self, positions: int) -> None:
        if positions <= 0:
            return
        target = self.position() + positions
        if self.offset:  # finish the range we are inside
            self.take_part(min(positions, self.widths[self.index] - self.offset))
        whole = bisect.bisect_right(self.ends, target, lo=self.index)
        self.out.extend(self.items[self.index : whole])
        self.out_widths.extend(self.widths[self.index : whole])
        self.index = whole
        rest = target - self.position()
        if rest:
            self.take_part(rest)

    def take_part(self, positions: int) -> None:
        item = self.items[self.index]
        assert isinstance(item, range)  # only a range covers more than one position
        self.out.append(item[self.offset : self.offset + positions])
        self.out_widths.append(positions)
        self.skip(positions)

    def skip(self, positions: int) -> None:
        self.offset += positions
        if self.offset >= self.widths[self.index]:
            self.index += 1
            self.offset = 0

    def next_line(self) -> _Line:
        item = self.items[self.index]
        line = item[self.offset] if isinstance(item, range) else item
        self.skip(1)
        return line

    def emit(self, line: _Line) -> None:
        self.out.append(line)
        self.out_widths.append(1)

    def finish(self) -> tuple[list[_Item], list[int]]:
        if self.offset:
            self.take_part(self.widths[self.index] - self.offset)
        self.out.extend(self.items[self.index :])
        self.out_widths.extend(self.widths[self.index :])
        return self.out, self.out_widths


class _Replayer:
    """The replay's state while the patches are applied one by one."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.state: dict[str, _File] = {}
        self.bases: dict[str, _Base] = {}
        self.gone: dict[str, str] = {}  # path -> which patch removed it
        self.touches: list[Touch] = []

    def label(self, patch: int) -> str:
        return f"{patch}/{self.total}"

    def run_file(self, patch: int, fd: FileDiff) -> None:
        if fd.status == "added":
            target = _File(None, fd.new_mode or DEFAULT_MODE, None)
        elif fd.status == "copied":
            src = self.lookup(patch, fd)
            target = src.copy()
        else:
            target = self.lookup(patch, fd)
            del self.state[fd.old_path]
            self.gone[fd.old_path] = f"{self.label(patch)} {fd.status} it"
        self.apply(patch, fd, target)
        if fd.new_mode:
            target.mode = fd.new_mode
        if fd.status == "deleted":
            return
        if fd.path in self.state:
            raise ReplayError(f"patch {self.label(patch)}: {fd.path} already exists")
        self.state[fd.path] = target
        self.gone.pop(fd.path, None)

    def lookup(self, patch: int, fd: FileDiff) -> _File:
        """The pre-image file's current state; its first mention makes it a base file."""
        path = fd.old_path
        if path in self.state:
            return self.state[path]
        if path in self.gone:
            raise ReplayError(f"patch {self.label(patch)}: {path} is gone ({self.gone[path]})")
        base = _Base(path, fd.old_mode or DEFAULT_MODE)
        if fd.binary:
            base.binary = _blob_bytes(fd.old_blob, f"base {path}")
        self.bases[path] = base
        self.state[path] = _File(base, base.mode, None if fd.binary else 1, binary=base.binary)
        return self.state[path]

    def apply(self, patch: int, fd: FileDiff, target: _File) -> None:
        if fd.binary:
            target.binary = _blob_bytes(fd.new_blob, f"{patch} {fd.path}")
            return
        if target.binary is not None and fd.hunks:
            raise ReplayError(f"patch {self.label(patch)}: text hunks on binary file {fd.path}")
        _HunkPlacer(self, patch, fd, target).place()
        if fd.status == "deleted":
            self.end_at(target, 0, _where(self.label(patch), fd, None))

    def materialize(self, target: _File, upto: int, where: str) -> None:
        """Make positions 1..upto of the file explicit, drawing on the base tail."""
        missing = upto - target.count
        if missing <= 0:
            return
        if target.next_base is None or target.base is None:
            raise ReplayError(f"{where}: the file has only {target.count} lines")
        target.items.append(range(target.next_base, target.next_base + missing))
        target.widths.append(missing)
        target.count = upto
        target.next_base += missing
        target.base.needed = max(target.base.needed, target.next_base - 1)

    def end_at(self, target: _File, position: int, where: str) -> None:
        """A hunk without trailing context (or a deletion) proves the file ends there."""
        if target.count > position:
            more = target.count - position
            raise ReplayError(f"{where}: ends the file at line {position}, but {more} more follow")
        if target.next_base is not None and target.base is not None:
            target.base.length = target.next_base - 1
            target.next_base = None

    def check_line(self, patch: int, target: _File, line: _Line, hl: HunkLine, where: str) -> None:
        """A context or removed line must read what the earlier state holds there."""
        if isinstance(line, _Added):
            if line.text != hl.text:
                left = f"{self.label(line.patch)} left {line.text!r} there"
                raise ReplayError(f"{where}: line {hl.old_no} reads {hl.text!r}, but {left}")
            return
        assert target.base is not None  # base line numbers live only in base-derived files
        known = target.base.texts.setdefault(line, hl.text)
        target.base.shown_by.setdefault(line, patch)
        if known != hl.text:
            shown = f"{self.label(target.base.shown_by[line])} showed {known!r} there"
            raise ReplayError(f"{where}: line {hl.old_no} reads {hl.text!r}, but {shown}")


class _HunkPlacer:
    """Places one file diff's hunks on the file's current state, in one pass."""

    def __init__(self, replayer: _Replayer, patch: int, fd: FileDiff, target: _File) -> None:
        self.replayer = replayer
        self.patch = patch
        self.fd = fd
        self.target = target

    def place(self) -> None:
        for h in self.fd.hunks:  # first make every position the hunks name explicit
            where = _where(self.replayer.label(self.patch), self.fd, h)
            last = h.old_start + h.old_len - 1 if h.old_len else h.old_start
            if last > MAX_LINE:
                raise ReplayError(f"{where}: names line {last}, past the {MAX_LINE} replayed")
            self.replayer.materialize(self.target, last, where)
        reader = _Reader(self.target.items, self.target.widths)
        cursor = 1  # the next old position to read
        for h in self.fd.hunks:
            where = _where(self.replayer.label(self.patch), self.fd, h)
            start = h.old_start if h.old_len else h.old_start + 1
            if start < cursor:
                raise ReplayError(f"{where}: overlaps the hunk before it")
            reader.copy(start - cursor)
            cursor = self.place_lines(h, start, reader, where)
            if _ends_file(h):
                self.replayer.end_at(self.target, cursor - 1, where)
        self.target.items, self.target.widths = reader.finish()
        self.target.count = sum(self.target.widths)

    def place_lines(self, h: Hunk, cursor: int, reader: _Reader, where: str) -> int:
        for hl in h.lines:
            if hl.kind == "+":
                reader.emit(_Added(self.patch, hl.text))
                continue
            if hl.old_no != cursor:
                raise ReplayError(f"{where}: line numbers out of step at old line {hl.old_no}")
            line = reader.next_line()
            self.replayer.check_line(self.patch, self.target, line, hl, where)
            if isinstance(line, _Added):
                kind: Literal["context", "removed"] = "context" if hl.kind == " " else "removed"
                touch = Touch(self.patch, self.fd.old_path, kind, cursor, line.patch)
                self.replayer.touches.append(touch)
            if hl.kind == " ":
                reader.emit(line)
            cursor += 1
        return cursor


# --- writing the base and tip trees ----------------------------------------------------


class _Renderer:
    """Turns the replayed state into file contents.

    Base lines no hunk showed become filler lines. They go through the series
    untouched, so one unique filler per stretch gives git the same count at a
    fraction of the size; a stretch is cut wherever some tip file breaks it, so base
    and tip hold the same fillers. A file that ends up renamed keeps one filler per
    line and is padded, since git pairs renames by size and similarity and the real
    file has lines we never saw (a heuristic: the real length is unknown).
    """

    def __init__(self, bases: Mapping[str, _Base], state: Mapping[str, _File]) -> None:
        self.bases = bases
        self.state = state
        self.lengths: dict[str, int] = {}
        self.bounds: dict[str, list[int]] = {}  # sorted stretch boundaries

    def trees(self) -> tuple[dict[str, FileContent], dict[str, FileContent]]:
        for path, base in self.bases.items():
            self.lengths[path] = self.length(base)
        tips = {path: self.tip_items(f) for path, f in self.state.items()}
        cuts: dict[str, set[int]] = {path: set() for path in self.bases}
        for path, f in self.state.items():
            if f.base is not None:
                for item in tips[path]:
                    if isinstance(item, range):
                        cuts[f.base.path].update((item.start, item.stop))
        for path, base in self.bases.items():
            known = base.texts.keys()
            self.bounds[path] = sorted(cuts[path].union(known, (n + 1 for n in known)))
        base_tree = {
            path: self.render(b, [range(1, self.lengths[path] + 1)], b.binary, b.mode)
            for path, b in self.bases.items()
        }
        tip_tree = {
            path: self.render(f.base, tips[path], f.binary, f.mode)
            for path, f in self.state.items()
        }
        return base_tree, tip_tree

    def length(self, base: _Base) -> int:
        if base.length is not None:
            return base.length
        return base.needed * 4 + 10 if self.renamed(base) else base.needed

    def renamed(self, base: _Base) -> bool:
        """The base file lives on only under another name."""
        return base.path not in self.state and any(f.base is base for f in self.state.values())

    def tip_items(self, f: _File) -> list[_Added | range]:
        """The tip file as added lines and maximal stretches of consecutive base lines."""
        merged: list[_Added | range] = []
        length = self.lengths[f.base.path] if f.base is not None else 0
        for item in f.sequence(length):
            span = range(item, item + 1) if isinstance(item, int) else item
            last = merged[-1] if merged else None
            if isinstance(span, range) and isinstance(last, range) and last.stop == span.start:
                merged[-1] = range(last.start, span.stop)
            elif not isinstance(span, range) or span:
                merged.append(span)
        return merged

    def render(
        self,
        base: _Base | None,
        items: Sequence[_Added | range],
        binary: bytes | None,
        mode: str,
    ) -> FileContent:
        if binary is not None:
            return FileContent(binary, mode)
        out: list[str] = []
        for item in items:
            if isinstance(item, _Added):
                out.append(item.text)
            elif base is not None:
                out.extend(self.base_lines(base, item))
        return FileContent(_join(out), mode)

    def base_lines(self, base: _Base, lines: range) -> Iterator[str]:
        bounds = self.bounds[base.path]
        every_line = self.renamed(base)
        start = lines.start
        while start < lines.stop:
            after = bisect.bisect_right(bounds, start)
            stop = min(bounds[after] if after < len(bounds) else lines.stop, lines.stop)
            if start in base.texts:
                yield base.texts[start]
            elif every_line:
                yield from (f"patchscope filler: {base.path}:{n}" for n in range(start, stop))
            else:
                yield f"patchscope filler: {base.path}:{start}-{stop - 1}"
            start = stop


# --- small helpers ---------------------------------------------------------------------


def _ends_file(h: Hunk) -> bool:
    """git apply makes a hunk without trailing context match at the end of the file."""
    trailing = 0
    for hl in reversed(h.lines):
        if hl.kind != " ":
            break
        trailing += 1
    leading = 0
    for hl in h.lines:
        if hl.kind != " ":
            break
        leading += 1
    # -U0 hunks have no context anywhere; only a whole-file hunk then proves the end.
    return trailing == 0 and (leading > 0 or h.old_start <= 1)


def _where(label: str, fd: FileDiff, h: Hunk | None) -> str:
    if h is None:
        return f"patch {label}: {fd.path}"
    header = f"@@ -{_span(h.old_start, h.old_len)} +{_span(h.new_start, h.new_len)} @@"
    return f"patch {label}: {fd.path} hunk {header} (diff line {h.line_in_mail})"


def _span(start: int, length: int) -> str:
    """A hunk header's range as git writes it: the length is left out when it is 1."""
    return f"{start}" if length == 1 else f"{start},{length}"


def _check_path(patch: int, total: int, path: str) -> None:
    """Paths come from mail: never let one point outside the temporary tree, name a folder
    (`mm/`), name one file two ways (`mm//a.c`, `./mm/a.c`) or hold a NUL no file name can."""
    pure = PurePosixPath(path)
    if not pure.parts or pure.is_absolute() or ".." in pure.parts or "\0" in path:
        raise ReplayError(f"patch {patch}/{total}: unsafe file path {path!r}")
    if str(pure) != path:
        raise ReplayError(f"patch {patch}/{total}: not a plain file path {path!r}")


def _check_tree(files: Mapping[str, FileContent], which: str) -> None:
    """No path of one tree may be a file and the folder of another file at once."""
    for path in files:
        for parent in PurePosixPath(path).parents:
            if str(parent) in files:
                raise ReplayError(f"the {which} tree holds {str(parent)!r} as a file and {path!r}")


def _blob_bytes(blob: str | None, fallback: str) -> bytes:
    """Stand-in content for a binary file: equal blob ids give equal content."""
    key = blob if blob and blob.strip("0") else fallback
    return b"\0patchscope binary " + key.encode() + b"\n"


def _join(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")
