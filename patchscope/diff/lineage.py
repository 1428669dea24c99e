"""Line provenance through a series: replay the patches on a synthetic base tree.

No maintained library replays a series of diffs without the tree they were made
against (patchutils' combinediff is a C tool working on diff text), so this is
written by hand. Each file is a list of line origins: a base line (by its number in
the base file) or a line some patch added. A hunk is placed at exactly the
position its numbers name in the state the earlier patches left, its context and
removed lines are checked against what is known there, and base lines no hunk shows
become unique filler lines. The result is a base tree and a tip tree that differ
exactly as the series says, plus every place where a patch leans on a line an
earlier patch introduced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from patchscope.diff.model import FileDiff, Hunk, HunkLine
from patchscope.errors import PatchscopeError

DEFAULT_MODE = "100644"
EXECUTABLE_MODE = "100755"


class ReplayError(PatchscopeError):
    """A patch cannot be placed on the state the earlier patches leave."""


@dataclass(frozen=True)
class Origin:
    """Where a line comes from: base line `line` of `path`, or a line patch `patch` added."""

    patch: int | None  # None for a base line
    path: str  # the base path, or the path in the patch that added the line
    line: int  # base line number, or post-image line number in that patch


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
    data: bytes  # exactly what goes on disk
    mode: str  # git mode, "100644" or "100755"


@dataclass(frozen=True)
class Replay:
    base: Mapping[str, FileContent]  # every file the series needs from the base tree
    tip: Mapping[str, FileContent]  # the same files after the whole series
    touches: tuple[Touch, ...]  # in patch, file and hunk order
    total: int  # the series' patch count used in "3/4" labels


@dataclass
class _Base:
    """What the series reveals of one base file."""

    mode: str
    needed: int = 0  # highest base line number any state refers to
    length: int | None = None  # known once a hunk proves where the file ends
    binary: bytes | None = None


@dataclass
class _File:
    """One file's current state; lines past `lines` are base lines from `next_base` on."""

    base: str | None  # the base path it descends from; None when a patch created it
    lines: list[Origin]
    next_base: int | None  # None once the end of the file is known
    mode: str
    binary: bytes | None = None


@dataclass
class _Replayer:
    total: int
    state: dict[str, _File] = field(default_factory=dict)
    bases: dict[str, _Base] = field(default_factory=dict)
    gone: dict[str, str] = field(default_factory=dict)  # path -> which patch removed it
    texts: dict[Origin, str] = field(default_factory=dict)
    shown_by: dict[Origin, int] = field(default_factory=dict)  # base line -> first patch showing it
    touches: list[Touch] = field(default_factory=list)

    def label(self, patch: int) -> str:
        return f"{patch}/{self.total}"

    def run_patch(self, patch: int, files: Sequence[FileDiff]) -> None:
        for fd in files:
            _check_path(patch, self.total, fd.path)
            _check_path(patch, self.total, fd.old_path)
            self.run_file(patch, fd)

    def run_file(self, patch: int, fd: FileDiff) -> None:
        if fd.status == "added":
            target = _File(None, [], None, fd.new_mode or DEFAULT_MODE)
        elif fd.status == "copied":
            source = self.lookup(patch, fd)
            target = _File(source.base, list(source.lines), source.next_base, source.mode)
            target.binary = source.binary
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
        base = _Base(fd.old_mode or DEFAULT_MODE)
        if fd.binary:
            base.binary = _blob_bytes(fd.old_blob, f"base {path}")
        self.bases[path] = base
        self.state[path] = _File(path, [], None if fd.binary else 1, base.mode, base.binary)
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
        while len(target.lines) < upto:
            if target.next_base is None or target.base is None:
                raise ReplayError(f"{where}: the file has only {len(target.lines)} lines")
            target.lines.append(Origin(None, target.base, target.next_base))
            target.next_base += 1
        if target.base is not None and target.next_base is not None:
            base = self.bases[target.base]
            base.needed = max(base.needed, target.next_base - 1)

    def end_at(self, target: _File, position: int, where: str) -> None:
        """A hunk without trailing context (or a deletion) proves the file ends there."""
        if len(target.lines) > position:
            more = len(target.lines) - position
            raise ReplayError(f"{where}: ends the file at line {position}, but {more} more follow")
        if target.next_base is not None and target.base is not None:
            self.bases[target.base].length = target.next_base - 1
            target.next_base = None

    def check_line(self, patch: int, origin: Origin, hl: HunkLine, where: str) -> None:
        """A context or removed line must read what the earlier state holds there."""
        known = self.texts.get(origin)
        if known is None:
            self.texts[origin] = hl.text
            self.shown_by[origin] = patch
            return
        if known == hl.text:
            return
        if origin.patch is None:
            source = f"{self.label(self.shown_by[origin])} showed {known!r} there"
        else:
            source = f"{self.label(origin.patch)} left {known!r} there"
        raise ReplayError(f"{where}: line {hl.old_no} reads {hl.text!r}, but {source}")

    def result(self) -> Replay:
        lengths = {path: self.base_length(path) for path in self.bases}
        base = {path: self.base_content(path, lengths[path]) for path in self.bases}
        tip = {path: self.tip_content(f, lengths) for path, f in self.state.items()}
        return Replay(base, tip, tuple(self.touches), self.total)

    def base_length(self, path: str) -> int:
        """Known length, else every line needed, padded for a file that ends up renamed.

        The padding is a heuristic: git pairs a renamed file by similarity, and the real
        file has unchanged lines we never saw; unchanged filler lines stand in for them.
        """
        base = self.bases[path]
        if base.length is not None:
            return base.length
        renamed = path not in self.state and any(f.base == path for f in self.state.values())
        return base.needed * 4 + 10 if renamed else base.needed

    def base_content(self, path: str, length: int) -> FileContent:
        base = self.bases[path]
        if base.binary is not None:
            return FileContent(base.binary, base.mode)
        lines = [self.text(Origin(None, path, n)) for n in range(1, length + 1)]
        return FileContent(_join(lines), base.mode)

    def tip_content(self, f: _File, lengths: Mapping[str, int]) -> FileContent:
        if f.binary is not None:
            return FileContent(f.binary, f.mode)
        lines = [self.text(o) for o in f.lines]
        if f.base is not None and f.next_base is not None:
            tail = range(f.next_base, lengths[f.base] + 1)
            lines.extend(self.text(Origin(None, f.base, n)) for n in tail)
        return FileContent(_join(lines), f.mode)

    def text(self, origin: Origin) -> str:
        known = self.texts.get(origin)
        return known if known is not None else f"patchscope filler: {origin.path}:{origin.line}"


@dataclass
class _HunkPlacer:
    """Places one file diff's hunks on the file's current state, in one pass."""

    replayer: _Replayer
    patch: int
    fd: FileDiff
    target: _File

    def place(self) -> None:
        old = self.target.lines
        new: list[Origin] = []
        cursor = 1  # next old position to copy
        for h in self.fd.hunks:
            where = _where(self.replayer.label(self.patch), self.fd, h)
            start = h.old_start if h.old_len else h.old_start + 1
            if start < cursor:
                raise ReplayError(f"{where}: overlaps the hunk before it")
            self.replayer.materialize(self.target, start - 1 + h.old_len, where)
            new.extend(old[cursor - 1 : start - 1])
            cursor = self.place_lines(h, start, new, where)
            if _ends_file(h):
                self.replayer.end_at(self.target, cursor - 1, where)
        new.extend(old[cursor - 1 :])
        self.target.lines = new

    def place_lines(self, h: Hunk, cursor: int, new: list[Origin], where: str) -> int:
        old = self.target.lines
        for hl in h.lines:
            if hl.kind == "+":
                origin = Origin(self.patch, self.fd.path, hl.new_no or 0)
                self.replayer.texts[origin] = hl.text
                new.append(origin)
                continue
            if hl.old_no != cursor:
                raise ReplayError(f"{where}: line numbers out of step at old line {hl.old_no}")
            origin = old[cursor - 1]
            self.replayer.check_line(self.patch, origin, hl, where)
            if origin.patch is not None:
                kind: Literal["context", "removed"] = "context" if hl.kind == " " else "removed"
                touch = Touch(self.patch, self.fd.old_path, kind, cursor, origin.patch)
                self.replayer.touches.append(touch)
            if hl.kind == " ":
                new.append(origin)
            cursor += 1
        return cursor


def replay(patches: Sequence[tuple[int, Sequence[FileDiff]]]) -> Replay:
    """Replay the series in order; raises ReplayError naming the patch, file and hunk."""
    total = max((number for number, _ in patches), default=0)
    replayer = _Replayer(total)
    for number, files in patches:
        replayer.run_patch(number, files)
    return replayer.result()


def write_tree(root: Path, files: Mapping[str, FileContent]) -> None:
    """Write a replayed tree under `root` (paths were checked to stay inside it)."""
    for path, content in files.items():
        dest = root / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(content.data)
        if content.mode == EXECUTABLE_MODE:
            dest.chmod(0o755)


def describe(touches: Iterable[Touch], total: int, then: str = "") -> dict[str, list[str]]:
    """Runs of consecutive lines per file: "mm/sparse.c:812-815 added by 2/4".

    With `then` (a verb), the later patch is named too: ", changed by 4/4".
    """
    runs: dict[str, list[str]] = {}
    first: Touch | None = None
    last: Touch | None = None
    for t in [*touches, None]:
        if (
            last is not None
            and t is not None
            and (t.patch, t.path, t.kind, t.introduced_by)
            == (last.patch, last.path, last.kind, last.introduced_by)
            and t.line == last.line + 1
        ):
            last = t
            continue
        if first is not None and last is not None:
            span = f"{first.line}" if first.line == last.line else f"{first.line}-{last.line}"
            text = f"{first.path}:{span} added by {first.introduced_by}/{total}"
            if then:
                text += f", {then} by {first.patch}/{total}"
            runs.setdefault(first.path, []).append(text)
        first = last = t
    return runs


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
    header = f"@@ -{h.old_start},{h.old_len} +{h.new_start},{h.new_len} @@"
    return f"patch {label}: {fd.path} hunk {header} (diff line {h.line_in_mail})"


def _check_path(patch: int, total: int, path: str) -> None:
    """Paths come from mail: never let one point outside the temporary tree."""
    parts = PurePosixPath(path).parts
    if not parts or PurePosixPath(path).is_absolute() or ".." in parts:
        raise ReplayError(f"patch {patch}/{total}: unsafe file path {path!r}")


def _blob_bytes(blob: str | None, fallback: str) -> bytes:
    """Stand-in content for a binary file: equal blob ids give equal content."""
    key = blob if blob and blob.strip("0") else fallback
    return b"\0patchscope binary " + key.encode() + b"\n"


def _join(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")
