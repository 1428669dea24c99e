"""The Linux 6.1 sources Debian ships, as a git repository, and series written against it.

Shared by the integration tests and `bench/graph.py`. One tar run unpacks only the
folders asked for, git records them as one commit, and a series is made the way its
author would make it: commits on a branch, mailed with `git format-patch`. The work
tree is left at the base commit, so `DIR` and `git:DIR@HEAD` are the same tree.
"""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import git

TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")
TOP = "linux-source-6.1"  # the folder every member of the tarball lives in
BASE_BRANCH = "linux-6.1"
# xz decodes the tarball's independent blocks on every core: 7 s instead of 11 on two
UNTAR = ("tar", "-I", "xz -T0", "-xf")


@dataclass(frozen=True)
class Edit:
    """Replace `old`, which must occur exactly once in `file`, by `new`."""

    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Commit:
    subject: str
    body: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class SeriesPlan:
    """What a series says and whom it is mailed to, before git makes it."""

    cover_subject: str
    cover_body: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    commits: tuple[Commit, ...]


class EditError(Exception):
    """An edit's text is not in the tree exactly once: the plan no longer fits the sources."""


def unpack(tarball: Path, dest: Path, members: list[str]) -> Path:
    """Extract `members` (globs below the tarball's top folder) into `dest`, in one tar run."""
    dest.mkdir(parents=True, exist_ok=True)
    globs = [f"{TOP}/{member}" for member in members]
    done = subprocess.run(
        [*UNTAR, str(tarball), "-C", str(dest), "--strip-components=1", "--wildcards", *globs],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"tar could not unpack {tarball}: {done.stderr.strip()}")
    return dest


def commit_tree(repo: Path) -> str:
    """Make `repo` a git repository whose one commit holds every file in it; its id."""
    git(repo, "init", "-q", "-b", BASE_BRANCH)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Linux 6.1, the parts the tests read")
    return git(repo, "rev-parse", "HEAD").strip()


def read_plan(path: Path) -> SeriesPlan:
    data = tomllib.loads(path.read_text())
    commits = tuple(
        Commit(
            subject=patch["subject"],
            body=patch["body"],
            edits=tuple(Edit(e["file"], e["old"], e["new"]) for e in patch["edit"]),
        )
        for patch in data["patch"]
    )
    return SeriesPlan(
        cover_subject=data["cover_subject"],
        cover_body=data["cover_body"],
        to=tuple(data["to"]),
        cc=tuple(data["cc"]),
        commits=commits,
    )


def apply_edit(repo: Path, edit: Edit) -> None:
    path = repo / edit.file
    text = path.read_text()
    found = text.count(edit.old)
    if found != 1:
        raise EditError(f"{edit.file}: the text to replace occurs {found} times, not once")
    path.write_text(text.replace(edit.old, edit.new))


def make_series(repo: Path, plan: SeriesPlan, branch: str, out: Path) -> Path:
    """Commit the plan on `branch` from the base and mail it into `out` with a cover letter;
    the work tree goes back to the base. Returns `out`, a directory of .patch files."""
    git(repo, "checkout", "-q", "-b", branch, BASE_BRANCH)
    try:
        for commit in plan.commits:
            for edit in commit.edits:
                apply_edit(repo, edit)
            git(repo, "commit", "-q", "-a", "-s", "-m", f"{commit.subject}\n\n{commit.body}")
    finally:
        git(repo, "checkout", "-q", "-f", BASE_BRANCH)
    recipients = [f"--to={a}" for a in plan.to] + [f"--cc={a}" for a in plan.cc]
    git(
        repo,
        "format-patch",
        "-q",
        "--cover-letter",
        "--stat=80",
        "--thread",
        *recipients,
        "-o",
        str(out),
        f"{BASE_BRANCH}..{branch}",
    )
    _fill_cover(next(out.glob("0000-*.patch")), plan)
    return out


def _fill_cover(cover: Path, plan: SeriesPlan) -> None:
    """format-patch leaves placeholders where its author writes the cover letter."""
    text = cover.read_text()
    text = text.replace("*** SUBJECT HERE ***", plan.cover_subject)
    cover.write_text(text.replace("*** BLURB HERE ***", plan.cover_body.strip()))
