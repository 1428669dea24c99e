"""Plain values for parsed diffs and diffstats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

FileStatus = Literal["modified", "added", "deleted", "renamed", "copied"]


@dataclass(frozen=True)
class HunkLine:
    """One line of a hunk, with its numbers in the pre- and post-image."""

    kind: Literal[" ", "+", "-"]
    text: str  # without the leading kind character and without the newline
    old_no: int | None  # line number in the pre-image (None for '+')
    new_no: int | None  # line number in the post-image (None for '-')


@dataclass(frozen=True)
class Hunk:
    """One `@@` hunk of a file's diff, as the mail shows it."""

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    section: str  # the text after the second @@ (the enclosing definition hint)
    lines: tuple[HunkLine, ...]
    line_in_mail: int  # 1-based line of the @@ header within the diff text


@dataclass(frozen=True)
class FileDiff:
    """What one patch does to one file: status, counts, blobs, modes and hunks."""

    path: str  # the post-image path; the pre-image path for a deleted file
    old_path: str  # the pre-image path (equal to path but for renames and copies)
    status: FileStatus
    binary: bool
    added: int  # inserted lines (0 for binary)
    removed: int  # deleted lines (0 for binary)
    old_blob: str | None  # abbreviated blob ids from the 'index a..b' line
    new_blob: str | None
    old_mode: str | None
    new_mode: str | None
    similarity: int | None  # rename/copy similarity index, percent
    hunks: tuple[Hunk, ...]

    @property
    def changed(self) -> int:
        """What a diffstat shows for the file: insertions plus deletions."""
        return self.added + self.removed

    def to_json(self) -> dict[str, object]:
        """The file as `stat --json` and the report's files.csv show it (hunks left out)."""
        return {
            "path": self.path,
            "old_path": self.old_path,
            "status": self.status,
            "binary": self.binary,
            "added": self.added,
            "removed": self.removed,
            "old_blob": self.old_blob,
            "new_blob": self.new_blob,
        }


@dataclass(frozen=True)
class Diffstat:
    """A diffstat's numbers: files, insertions, deletions, changed lines per file."""

    files: int
    insertions: int
    deletions: int
    per_file: Mapping[str, int] = field(default_factory=dict)  # path -> changed lines

    def to_json(self) -> dict[str, object]:
        return {
            "files": self.files,
            "insertions": self.insertions,
            "deletions": self.deletions,
            "per_file": dict(self.per_file),
        }
