"""Diffstats: the one a mail claims, the one its diff gives, and their comparison."""

from __future__ import annotations

import re
from collections.abc import Sequence

from patchscope.diff.model import Diffstat, FileDiff
from patchscope.diff.parse import unquote_path
from patchscope.findings import Finding

# git's diffstat lines, read by hand (no library parses them):
#  " mm/sparse.c | 124 +++++++--"  " bin.dat | Bin 2 -> 3 bytes"  " mode.sh | 0"
_FILE_LINE = re.compile(r" (?P<name>\S.*?) +\| +(?:(?P<n>\d+)(?: [+-]*)?|(?P<bin>Bin)\b.*?)\s*")
_SUMMARY = re.compile(
    r" (?P<files>\d+) files? changed"
    r"(?:, (?P<ins>\d+) insertions?\(\+\))?(?:, (?P<del>\d+) deletions?\(-\))?\s*"
)
_BRACED_RENAME = re.compile(r"(?P<pre>.*)\{(?P<old>.*) => (?P<new>.*)\}(?P<post>.*)")
_SHORTENED = ".../"


def parse_claimed(notes: str) -> Diffstat | None:
    """The diffstat git wrote after '---' (or in a cover letter); None when there is none.

    Paths may be shortened by git to '.../tail'; they are kept as written.  A rename is
    keyed by its post-image path and a C-quoted name by the name itself.
    """
    lines = notes.split("\n")
    for at, line in enumerate(lines):
        summary = _SUMMARY.fullmatch(line)
        if summary is None:
            continue
        first = at
        while first > 0 and _FILE_LINE.fullmatch(lines[first - 1]):
            first -= 1
        per_file: dict[str, int] = {}
        for file_line in lines[first:at]:
            name, changed = _file_entry(file_line)
            per_file[name] = per_file.get(name, 0) + changed
        return Diffstat(
            files=int(summary["files"]),
            insertions=int(summary["ins"] or 0),
            deletions=int(summary["del"] or 0),
            per_file=per_file,
        )
    return None


def _file_entry(line: str) -> tuple[str, int]:
    m = _FILE_LINE.fullmatch(line)
    assert m is not None  # the caller matched it already
    changed = 0 if m["bin"] else int(m["n"])
    return _post_image(m["name"]), changed


def _post_image(name: str) -> str:
    """'dir/{a => b}/f.c' -> 'dir/b/f.c', 'old => new' -> 'new'; git's quoting undone."""
    if m := _BRACED_RENAME.fullmatch(name):
        joined = f"{m['pre']}{m['new']}{m['post']}"
        return unquote_path(re.sub("/+", "/", joined).lstrip("/"))  # '{a => }/f.c' -> 'f.c'
    if " => " in name:
        return unquote_path(name.split(" => ", 1)[1])
    return unquote_path(name)


def compute(files: Sequence[FileDiff]) -> Diffstat:
    """Count like git: every file, binary ones as 0 lines, mode-only ones too."""
    per_file: dict[str, int] = {}
    for f in files:
        per_file[f.path] = per_file.get(f.path, 0) + f.changed
    return Diffstat(
        files=len(files),
        insertions=sum(f.added for f in files),
        deletions=sum(f.removed for f in files),
        per_file=per_file,
    )


def compare(
    claimed: Diffstat, computed: Diffstat, patch: int | None, rule: str
) -> tuple[Finding, ...]:
    """One error finding per file whose count differs, per missing/extra file, and the summary."""
    findings: list[Finding] = []
    unmatched = dict(computed.per_file)
    for name, says in claimed.per_file.items():
        path = _match(name, unmatched)
        if path is None:
            msg = (
                f"{name}: the claimed diffstat shows {says} changed lines, the diff lacks the file"
            )
            findings.append(Finding(rule, "error", msg, patch=patch, file=name))
            continue
        has = unmatched.pop(path)
        if has != says:
            msg = f"{path}: the claimed diffstat shows {says} changed lines, the diff has {has}"
            findings.append(Finding(rule, "error", msg, patch=patch, file=path))
    for path, has in unmatched.items():
        msg = f"{path}: the diff changes {has} lines, the claimed diffstat does not list the file"
        findings.append(Finding(rule, "error", msg, patch=patch, file=path))
    said, got = _summary(claimed), _summary(computed)
    if said != got:
        msg = f"summary line claims {said}, the diff gives {got}"
        findings.append(Finding(rule, "error", msg, patch=patch))
    return tuple(findings)


def _match(name: str, candidates: dict[str, int]) -> str | None:
    """The computed path a claimed name stands for: itself, or the one a '.../tail' ends."""
    if name in candidates:
        return name
    if name.startswith(_SHORTENED):
        tail = name[len(_SHORTENED) - 1 :]
        return next((path for path in candidates if path.endswith(tail)), None)
    return None


def _summary(stat: Diffstat) -> str:
    return (
        f"{stat.files} files changed, {stat.insertions} insertions(+), "
        f"{stat.deletions} deletions(-)"
    )
