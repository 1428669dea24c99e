"""The cover letter's diffstat without the base tree: compose a series into one diff.

The series is replayed on a synthetic base (see lineage.py) and git itself counts
the difference between that base and the tip, in one `git diff --no-index` run, so
renames, binary files and mode changes are counted exactly as git counts them.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from patchscope.diff.lineage import FileContent, Replay, replay, write_tree
from patchscope.diff.lineage import describe as describe_touches
from patchscope.diff.model import Diffstat, FileDiff
from patchscope.errors import PatchscopeError

_BASE = "base"
_TIP = "tip"
_NULL = "/dev/null"
# Where the system keeps a memory-backed folder. On a disk-backed /tmp, making and removing the
# trees' folders and files costs more than git's count itself (5x the CPU on an overlay file
# system); trees up to _IN_MEMORY_MAX go there, far below Docker's 64 MiB default /dev/shm.
_MEMORY_BACKED = Path("/dev/shm")
_IN_MEMORY_MAX = 8 << 20


@dataclass(frozen=True)
class Composed:
    """The series composed into one diff: git's diffstat of it, lines changed twice."""

    diffstat: Diffstat  # what `git diff --stat BASE..TIP` would count
    # path -> descriptions of lines one patch added and a later patch changed again,
    # e.g. "mm/sparse.c:812 added by 3/4, changed by 4/4"
    changed_again: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # path -> (insertions, deletions); their difference is what no alignment can change
    lines: Mapping[str, tuple[int, int]] = field(default_factory=dict)


def compose(
    patches: Sequence[tuple[int, Sequence[FileDiff]]], replayed: Replay | None = None
) -> Composed:
    """`patches` is [(patch number, its files)] in series order; `replayed`, when the
    caller replayed them already (with trees), saves doing it twice."""
    replayed = replayed or replay(patches)
    counts = _numstat(replayed.base, replayed.tip)
    diffstat = Diffstat(
        files=len(counts),
        insertions=sum(added for added, _ in counts.values()),
        deletions=sum(removed for _, removed in counts.values()),
        per_file={path: added + removed for path, (added, removed) in counts.items()},
    )
    removed = [touch for touch in replayed.touches if touch.kind == "removed"]
    changed = describe_touches(removed, replayed.total, then="changed")
    return Composed(diffstat, {path: tuple(runs) for path, runs in changed.items()}, counts)


def _numstat(
    base: Mapping[str, FileContent], tip: Mapping[str, FileContent]
) -> dict[str, tuple[int, int]]:
    """git's own count between two trees, keyed by the tip path (the base path if deleted)."""
    size = sum(len(f.data) for tree in (base, tip) for f in tree.values())
    with tempfile.TemporaryDirectory(prefix="patchscope-compose-", dir=_scratch(size)) as tmp:
        root = Path(tmp)
        for name, files in ((_BASE, base), (_TIP, tip)):
            (root / name).mkdir()
            write_tree(root / name, files)
        output = _run_git(root)
    return _parse_numstat(output)


def _scratch(size: int) -> Path | None:
    """The memory-backed folder for trees of `size` bytes, unless TMPDIR names the user's
    choice or there is none; None: tempfile's default."""
    if size > _IN_MEMORY_MAX or "TMPDIR" in os.environ:
        return None
    return _MEMORY_BACKED if os.access(_MEMORY_BACKED, os.W_OK | os.X_OK) else None


def _run_git(root: Path) -> bytes:
    """One git run that reads no user or system configuration and no repository."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(root),
        "XDG_CONFIG_HOME": str(root),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CEILING_DIRECTORIES": str(root.parent),  # never find a repository around us
        "LC_ALL": "C",
    }
    # diff.renames is git's default since 2.9; -M makes it explicit.
    command = ["git", "diff", "--no-index", "--numstat", "-z", "-M", "--no-ext-diff"]
    command += ["--no-textconv", _BASE, _TIP]
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, check=False)
    except OSError as error:
        why = error.strerror or "it could not be started"
        raise PatchscopeError(f"cannot run git to count the composed diffstat: {why}") from None
    if done.returncode not in (0, 1):  # --no-index exits 1 when the trees differ
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise PatchscopeError(f"git diff --no-index failed: {message[0] if message else '?'}")
    return done.stdout


def _parse_numstat(output: bytes) -> dict[str, tuple[int, int]]:
    """`-z` numstat: "A<TAB>D<TAB>path<NUL>" or, for a pair, "A<TAB>D<TAB><NUL>src<NUL>dst<NUL>".

    Binary files show "-" for both counts and count as 0, as git's diffstat does.
    """
    fields = output.decode("utf-8", "surrogateescape").split("\0")
    counts: dict[str, tuple[int, int]] = {}
    i = 0
    while i < len(fields) and fields[i]:
        added, removed, path = fields[i].split("\t", 2)
        if path:
            names = [path]
            i += 1
        else:
            names = fields[i + 1 : i + 3]
            i += 3
        counts[_tree_path(names)] = (_count(added), _count(removed))
    return counts


def _tree_path(names: list[str]) -> str:
    """The tip name of a pair (the base name when the file is gone), without the tree prefix."""
    name = names[-1] if names[-1] != _NULL else names[0]
    return name.split("/", 1)[1]


def _count(text: str) -> int:
    return 0 if text == "-" else int(text)
