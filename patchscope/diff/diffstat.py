"""Diffstats: the one a mail claims, the one its diff gives, and their comparison."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class FilePair:
    """One file as the claim and the diff count it; a side is None when it lacks the file."""

    name: str  # the computed path, or the claimed name when the diff lacks the file
    says: int | None
    has: int | None


def pair_files(claimed: Diffstat, computed: Diffstat) -> list[FilePair]:
    """Claimed names matched to computed paths (a '.../tail' by suffix), claim order first."""
    pairs: list[FilePair] = []
    unmatched = dict(computed.per_file)
    for name, says in claimed.per_file.items():
        path = _match(name, unmatched)
        if path is None:
            pairs.append(FilePair(name, says, None))
        else:
            pairs.append(FilePair(path, says, unmatched.pop(path)))
    pairs.extend(FilePair(path, None, has) for path, has in unmatched.items())
    return pairs


def mismatch_message(pair: FilePair) -> str:
    if pair.has is None:
        return (
            f"{pair.name}: the claimed diffstat shows {pair.says} changed lines, "
            "the diff lacks the file"
        )
    if pair.says is None:
        return (
            f"{pair.name}: the diff changes {pair.has} lines, "
            "the claimed diffstat does not list the file"
        )
    return (
        f"{pair.name}: the claimed diffstat shows {pair.says} changed lines, "
        f"the diff has {pair.has}"
    )


def summary_message(claimed: Diffstat, computed: Diffstat) -> str | None:
    said, got = _summary(claimed), _summary(computed)
    return None if said == got else f"summary line claims {said}, the diff gives {got}"


def compare(
    claimed: Diffstat, computed: Diffstat, patch: int | None, rule: str
) -> tuple[Finding, ...]:
    """One error finding per file whose count differs, per missing/extra file, and the summary."""
    findings = [
        Finding(rule, "error", mismatch_message(pair), patch=patch, file=pair.name)
        for pair in pair_files(claimed, computed)
        if pair.says != pair.has
    ]
    summary = summary_message(claimed, computed)
    if summary:
        findings.append(Finding(rule, "error", summary, patch=patch))
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
