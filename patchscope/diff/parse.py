"""Diff text to FileDiff values, with unidiff; malformed hunks become findings.

unidiff reads hunks, modes and binary markers.  Three things it does not do are
written here by hand: splitting the text into one block per file and measuring
each hunk against its header (unidiff raises on a short hunk and silently drops
the lines of a long one, and one raise would lose every other file), reading the
git extended headers it leaves as raw text (rename/copy, similarity, blob ids),
and undoing git's C-style quoting of unusual paths.

A malformed hunk is kept with the lines the mail really holds: its old_len and
new_len are the counts found (so every Hunk's lengths agree with its lines, and
the file's added/removed count what is there), and the header's claim goes into
the finding.  A hunk in which no line at all was found is left out of the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UnidiffHunk
from unidiff.patch import PatchSet

from patchscope.diff.model import FileDiff, FileStatus, Hunk, HunkLine
from patchscope.findings import Finding


@dataclass(frozen=True)
class ParsedDiff:
    """A patch's diff read file by file, and what was malformed in it."""

    files: tuple[FileDiff, ...]
    findings: tuple[Finding, ...]  # rule "malformed-hunk" etc.; the patch number left None
    malformed: bool


_HUNK_HEADER = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_INDEX = re.compile(r"index ([0-9a-f]+)\.\.([0-9a-f]+)")
_SIMILARITY = re.compile(r"similarity index (\d+)%")
_BODY_KINDS = frozenset(" +-\\")
_LINE_KINDS = frozenset(" +-")
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_DEV_NULL = "/dev/null"


# The two workers are plain classes, not dataclasses: nothing compares or prints them, and
# dataclass would compile each one's __init__ from source on every start-up.


class _HunkSpan:
    """Where one hunk lies in the text, what its header claims and what was found."""

    def __init__(
        self,
        header: int,  # index of the @@ line
        end: int,  # index one past its last body line
        claimed: tuple[int, int],
        found: tuple[int, int],
        truncated: bool,  # the text ended before the header's counts were reached
    ) -> None:
        self.header = header
        self.end = end
        self.claimed = claimed
        self.found = found
        self.truncated = truncated


class _Block:
    """One file's part of the diff: its header lines, then its hunks."""

    def __init__(self, start: int, git: bool) -> None:
        self.start = start
        self.git = git
        self.header_end = -1  # index one past the header lines (first @@ or binary marker)
        self.hunks: list[_HunkSpan] = []


def parse_diff(diff_text: str) -> ParsedDiff:
    """Every file of the diff, each parsed on its own so one broken hunk costs only its file."""
    lines = _without_signature(_lf_lines(diff_text))
    files: list[FileDiff] = []
    findings: list[Finding] = []
    for block in _scan(lines):
        file, problems = _file_of(block, lines)
        if file is not None:
            files.append(file)
        findings.extend(problems)
    return ParsedDiff(tuple(files), tuple(findings), bool(findings))


def _lf_lines(text: str) -> list[str]:
    """The text's lines; a CRLF-converted mail (its first 'diff --git' ends in CR) loses one CR.

    A file whose content has CRLF in an LF mail keeps its CRs: git never writes CR in headers.
    """
    lines = text.split("\n")
    first = next((ln for ln in lines if ln.startswith("diff --git ")), "")
    if first.endswith("\r"):
        return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    return lines


def _without_signature(lines: list[str]) -> list[str]:
    """Drop git's '-- ' signature and the version line under it from the end.

    Without a text line under it, a last '-- ' is kept: it may be a removed line '- '.
    """
    i = len(lines) - 1
    text_below = False
    while i >= 0 and (not lines[i] or (lines[i][0] not in _BODY_KINDS and lines[i][0] != "@")):
        text_below = text_below or bool(lines[i])
        i -= 1
    if text_below and i >= 0 and lines[i] in ("-- ", "--"):
        return lines[:i]
    return lines


def _starts_plain_file(lines: Sequence[str], i: int) -> bool:
    """A '--- ' line followed by '+++ ' begins a file in a diff without 'diff --git'."""
    return lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")


def _scan(lines: Sequence[str]) -> list[_Block]:
    """Cut the text into file blocks and measure every hunk; one linear pass."""
    blocks: list[_Block] = []
    block: _Block | None = None
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if line.startswith("diff --git ") or (
            _starts_plain_file(lines, i) and (block is None or block.header_end >= 0)
        ):
            block = _Block(start=i, git=line.startswith("diff --git "))
            blocks.append(block)
            i += 2 if not block.git else 1
        elif block is None or (block.header_end >= 0 and not block.hunks):
            i += 1  # text before the first file, or the data of a binary patch
        elif line.startswith("@@ "):
            if block.header_end < 0:
                block.header_end = i
            span = _measure_hunk(lines, i)
            block.hunks.append(span)
            i = max(span.end, i + 1)
        elif block.header_end < 0 and (
            line == "GIT binary patch" or line.startswith("Binary files ")
        ):
            block.header_end = i + 1
            i += 1
        else:
            i += 1  # junk between hunks: ignored, as git apply ignores it
    return blocks


def _measure_hunk(lines: Sequence[str], at: int) -> _HunkSpan:
    """Count a hunk's lines against its header, reaching past it for surplus lines."""
    m = _HUNK_HEADER.match(lines[at])
    if m is None:
        return _HunkSpan(at, at + 1, (-1, -1), (0, 0), truncated=False)
    want_old = 1 if m.group(2) is None else int(m.group(2))
    want_new = 1 if m.group(4) is None else int(m.group(4))
    old = new = 0
    surplus_to = -1  # lines up to here are known to belong to the hunk's surplus
    j, n = at + 1, len(lines)
    # first the lines the header asks for, then any body lines that follow it
    while j < n:
        line = lines[j]
        kind = line[0] if line else " "
        if kind not in _BODY_KINDS:
            break
        if old >= want_old and new >= want_new and kind != "\\" and j > surplus_to:
            surplus_to = _surplus_line(lines, j)
            if surplus_to < 0:
                break
        if kind == " ":
            old += 1
            new += 1
        elif kind == "-":
            old += 1
        elif kind == "+":
            new += 1
        j += 1
    truncated = j == n and (old < want_old or new < want_new)
    return _HunkSpan(at, j, (want_old, want_new), (old, new), truncated)


def _surplus_line(lines: Sequence[str], j: int) -> int:
    """After a complete hunk: the next real body line at or after j, or -1 if none comes.

    Empty lines alone (mail clients strip trailing blanks) are not surplus.
    """
    n = len(lines)
    while j < n and not lines[j]:
        j += 1
    if j < n and lines[j][0] in " +-" and not _starts_plain_file(lines, j):
        return j
    return -1


def _file_of(block: _Block, lines: Sequence[str]) -> tuple[FileDiff | None, list[Finding]]:
    """The block's FileDiff (None if unidiff cannot read it) and the findings on its hunks."""
    header_end = block.header_end if block.header_end >= 0 else _block_end(block, lines)
    header = lines[block.start : header_end]
    info = _read_header(header, block.git)
    findings = [_finding(span, info.path, lines) for span in block.hunks if not _fits(span)]
    kept = [span for span in block.hunks if span.found != (0, 0)]
    try:
        patched = PatchSet(_unidiff_text(block, lines, header))
    except UnidiffParseError as exc:  # a case the scan above does not foresee
        return None, [*findings, _unreadable(info.path, block, str(exc))]
    if len(patched) != 1 or len(patched[0]) != len(kept):
        return None, [*findings, _unreadable(info.path, block, "not one file")]
    pfile = patched[0]
    hunks = tuple(_hunk(uh, span.header + 1) for uh, span in zip(pfile, kept, strict=True))
    file = FileDiff(
        path=info.path,
        old_path=info.old_path,
        status=info.status,
        binary=pfile.is_binary_file,
        added=sum(1 for h in hunks for ln in h.lines if ln.kind == "+"),
        removed=sum(1 for h in hunks for ln in h.lines if ln.kind == "-"),
        old_blob=info.old_blob,
        new_blob=info.new_blob,
        old_mode=pfile.source_mode,
        new_mode=pfile.target_mode,
        similarity=info.similarity,
        hunks=hunks,
    )
    return file, findings


def _unreadable(path: str, block: _Block, why: str) -> Finding:
    msg = f"{path}: unidiff cannot read this file's diff ({why})"
    return Finding("malformed-diff", "error", msg, file=path, line=block.start + 1)


def _block_end(block: _Block, lines: Sequence[str]) -> int:
    """A block without hunks or binary marker (mode change, pure rename) ends at the next file."""
    i = block.start + 1
    while i < len(lines) and not lines[i].startswith("diff --git "):
        i += 1
    return i


def _fits(span: _HunkSpan) -> bool:
    return span.found == span.claimed


def _finding(span: _HunkSpan, path: str, lines: Sequence[str]) -> Finding:
    header = lines[span.header]
    m = _HUNK_HEADER.match(header)
    if m is None:
        msg = f"unreadable hunk header in {path}: {header!r}"
    else:
        (want_old, want_new), (old, new) = span.claimed, span.found
        msg = (
            f"hunk {m.group(0)} in {path} expects {want_old} old / {want_new} new lines, "
            f"found {old} / {new}"
        )
        if span.truncated:
            msg += " (the diff ends inside it)"
    return Finding("malformed-hunk", "error", msg, file=path, line=span.header + 1)


def _unidiff_text(block: _Block, lines: Sequence[str], header: Sequence[str]) -> str:
    """The block as unidiff can read it: each hunk's header restating the counts found."""
    parts = list(header)
    for span in block.hunks:
        if span.found == (0, 0):
            continue
        head = lines[span.header]
        if not _fits(span):
            m = _HUNK_HEADER.match(head)
            assert m is not None  # an unreadable header has nothing found under it
            old, new = span.found
            head = f"@@ -{m.group(1)},{old} +{m.group(3)},{new} @@{head[m.end() :]}"
        parts.append(head)
        parts.extend(lines[span.header + 1 : span.end])
    parts.append("")
    return "\n".join(parts)


def _hunk(uh: UnidiffHunk, line_in_mail: int) -> Hunk:
    """unidiff's hunk as plain values; '\\ No newline' markers are not lines."""
    body = tuple(
        # every line fed to unidiff ends in "\n" (see _unidiff_text), so [:-1] drops just that
        HunkLine(ln.line_type, ln.value[:-1], ln.source_line_no, ln.target_line_no)  # type: ignore[arg-type]
        for ln in uh
        if ln.line_type in _LINE_KINDS
    )
    return Hunk(
        old_start=uh.source_start,
        old_len=uh.source_length,
        new_start=uh.target_start,
        new_len=uh.target_length,
        section=uh.section_header,
        lines=body,
        line_in_mail=line_in_mail,
    )


class _HeaderInfo:
    """What a file's `diff --git` header lines say: paths, status, blobs, similarity.

    Read once by its caller, never compared: a plain class (Final for frozen), as the
    workers above."""

    def __init__(
        self,
        path: str,
        old_path: str,
        status: FileStatus,
        old_blob: str | None,
        new_blob: str | None,
        similarity: int | None,
    ) -> None:
        self.path: Final = path
        self.old_path: Final = old_path
        self.status: Final = status
        self.old_blob: Final = old_blob
        self.new_blob: Final = new_blob
        self.similarity: Final = similarity


def _read_header(header: Sequence[str], git: bool) -> _HeaderInfo:
    """Paths, status, blob ids and similarity from a file's header lines."""
    fields: dict[str, str] = {}
    old_blob = new_blob = None
    similarity = None
    for line in header[1:] if git else header:
        for key in ("rename from ", "rename to ", "copy from ", "copy to ", "--- ", "+++ "):
            if line.startswith(key):
                fields.setdefault(key.strip(), line[len(key) :])
        if line.startswith(("new file mode ", "deleted file mode ")):
            fields.setdefault(line.split()[0], "")
        if m := _INDEX.match(line):
            old_blob, new_blob = m.group(1), m.group(2)
        if m := _SIMILARITY.match(line):
            similarity = int(m.group(1))
    old_path, new_path = _paths(fields, header[0] if git else "", git)
    status = _status(fields, old_path, new_path)
    path = old_path if status == "deleted" else new_path
    if status == "added":
        old_path = path
    return _HeaderInfo(path, old_path, status, old_blob, new_blob, similarity)


def _status(fields: dict[str, str], old: str | None, new: str | None) -> FileStatus:
    if "rename from" in fields:
        return "renamed"
    if "copy from" in fields:
        return "copied"
    if "new" in fields or old is None:
        return "added"
    if "deleted" in fields or new is None:
        return "deleted"
    return "modified"


def _paths(fields: dict[str, str], diff_line: str, git: bool) -> tuple[str, str]:
    """(old, new) real paths; rename/copy lines beat ---/+++ lines, which beat 'diff --git'.

    A side that is /dev/null takes the other side's path.
    """
    for kind in ("rename", "copy"):
        if f"{kind} from" in fields and f"{kind} to" in fields:
            return unquote_path(fields[f"{kind} from"]), unquote_path(fields[f"{kind} to"])
    old = _side(fields.get("---"), "a/", git)
    new = _side(fields.get("+++"), "b/", git)
    if old is None and new is None and git:
        old, new = _diff_git_paths(diff_line[len("diff --git ") :])
    if "new" in fields or "deleted" in fields:
        old = None if "new" in fields else old
        new = None if "deleted" in fields else new
    known = new if new is not None else old
    return (old if old is not None else known or ""), (new if new is not None else known or "")


def _side(value: str | None, prefix: str, git: bool) -> str | None:
    """A ---/+++ path without its prefix; None for /dev/null or a missing line."""
    if value is None:
        return None
    if value.startswith('"'):
        path, _ = _take_quoted(value)  # what follows the quotes: git's tab, timestamps
    else:
        path = value.split("\t", 1)[0]  # timestamps, and git's tab after names with spaces
    if path == _DEV_NULL:
        return None
    if git:
        return path[len(prefix) :] if path.startswith(prefix) else path
    return path.split("/", 1)[1] if "/" in path else path  # patch -p1


def _diff_git_paths(rest: str) -> tuple[str, str]:
    """Both paths of a 'diff --git' line; unquoted names are equal halves when not renamed."""
    if rest.startswith('"'):
        old, tail = _take_quoted(rest)
        new = unquote_path(tail.strip())
    else:
        half = (len(rest) - 1) // 2
        old, new = rest[:half], rest[half + 1 :]
        if old[2:] != new[2:] and " b/" in rest:
            old, new = rest.split(" b/", 1)[0], "b/" + rest.split(" b/", 1)[1]
    return old.removeprefix("a/"), new.removeprefix("b/")


def _take_quoted(text: str) -> tuple[str, str]:
    """Split a leading C-quoted string off `text`: (its value, the rest)."""
    i = 1
    while i < len(text) and text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return unquote_path(text[: i + 1]), text[i + 1 :]


def unquote_path(name: str) -> str:
    """Undo git's C-style quoting ("t\\303\\251st.c"); hand-written, no library reads it."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    out = bytearray()
    body = name[1:-1]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 == len(body):
            out += ch.encode()
            i += 1
        elif body[i + 1] in "01234567":
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(_C_ESCAPES.get(body[i + 1], ord(body[i + 1])))
            i += 2
    return out.decode("utf-8", errors="surrogateescape")
