"""Throw-away repositories for the hook tests, and a snapshot of what a hook must not change."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import GIT_ENV, git

SIGNED = "\n\nSigned-off-by: Ada Hacker <ada@example.org>"
# A new global a driver uses with no header declaring it: undeclared-global, an error.
BAD = {
    "mm/hpknob.c": "bool hp_knob = true;\n\nvoid hp_add(void)\n{\n\tif (hp_knob)\n\t\thp_n++;\n}\n",
    "drivers/hp/probe.c": "void hp_probe(void)\n{\n\thp_knob = false;\n}\n",
}
# A static helper and its caller in one file: nothing to find.
GOOD = {
    "mm/hpgood.c": "static int hp_one(void)\n{\n\treturn 1;\n}\n\nint hp_two(void)\n{\n"
    "\treturn hp_one() + 1;\n}\n"
}


def env(home: Path) -> dict[str, str]:
    """git's fixed identity, HOME in the test's folder, and this interpreter first on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, **GIT_ENV, "HOME": str(home), "PATH": path}


def run(
    repo: Path, *argv: str, feed: str | None = None, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A command in `repo` as a user would type it; hooks it triggers inherit this env."""
    return subprocess.run(
        list(argv),
        cwd=repo,
        env={**env(repo.parent), **(extra or {})},
        input=feed,
        capture_output=True,
        text=True,
        check=False,
    )


def patchscope(repo: Path, *argv: str, feed: str | None = None) -> subprocess.CompletedProcess[str]:
    return run(repo, sys.executable, "-m", "patchscope.cli", *argv, feed=feed)


def write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def commit(repo: Path, files: dict[str, str], subject: str) -> str:
    """Commit without running hooks; the new commit's id."""
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", subject + SIGNED)
    return git(repo, "rev-parse", "HEAD").strip()


def new_repo(where: Path, name: str = "work") -> Path:
    repo = where / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"README": "toy tree\n", "mm/Makefile": "obj-y += hp.o\n"}, "base")
    return repo


def with_remote(where: Path) -> Path:
    """A work repository whose `origin` is a bare repository holding its main branch."""
    repo = new_repo(where)
    remote = where / "origin.git"
    git(where, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "remote", "set-head", "origin", "main")
    return repo


@dataclass(frozen=True)
class Snapshot:
    status: str
    index: str
    refs: str


def snapshot(repo: Path) -> Snapshot:
    """The work tree's status, the index file's hash and every ref with HEAD."""
    index = hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest()
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    head = git(repo, "rev-parse", "HEAD")
    # --no-optional-locks: our own status must not refresh (rewrite) the index it compares
    status = git(
        repo,
        "--no-optional-locks",
        "status",
        "--porcelain=v1",
        "--untracked-files=all",
        "--ignored",
    )
    return Snapshot(status, index, refs + head)
