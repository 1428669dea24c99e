"""`patchscope hook install|uninstall`: our scripts where git looks, foreign hooks respected."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import git
from tests.hooks.repo import new_repo, patchscope

MARKER = "# patchscope-hook:"


def test_install_writes_executable_marked_scripts(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    done = patchscope(repo, "hook", "install", "--hook", "pre-commit", "--hook", "commit-msg")
    assert done.returncode == 0, done.stderr
    hooks = repo / ".git" / "hooks"
    for name in ("pre-commit", "commit-msg"):
        text = (hooks / name).read_text()
        assert text.startswith("#!/bin/sh\n") and f"{MARKER} {name}" in text
        assert os.access(hooks / name, os.X_OK)
    assert not (hooks / "pre-push").exists()
    # the default is pre-push, and --repo names the repository from elsewhere
    assert patchscope(tmp_path, "hook", "install", "--repo", str(repo)).returncode == 0
    assert MARKER in (hooks / "pre-push").read_text()


def test_install_follows_core_hooks_path(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    git(repo, "config", "core.hooksPath", "githooks")
    assert patchscope(repo, "hook", "install").returncode == 0
    assert MARKER in (repo / "githooks" / "pre-push").read_text()
    assert not (repo / ".git" / "hooks" / "pre-push").exists()
    # git agrees that this is where it looks for hooks
    assert git(repo, "rev-parse", "--git-path", "hooks").strip() == "githooks"


def test_foreign_hook_kept_unless_forced(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    foreign = repo / ".git" / "hooks" / "pre-push"
    foreign.write_text("#!/bin/sh\nexit 0\n")
    refused = patchscope(repo, "hook", "install", "--hook", "pre-commit", "--hook", "pre-push")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and str(foreign) in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert foreign.read_text() == "#!/bin/sh\nexit 0\n"
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()  # all or nothing
    left = patchscope(repo, "hook", "uninstall", "--hook", "pre-push")
    assert left.returncode == 0 and "not ours" in left.stdout
    assert foreign.read_text() == "#!/bin/sh\nexit 0\n"
    forced = patchscope(repo, "hook", "install", "--force")
    assert forced.returncode == 0 and "replaced" in forced.stdout
    assert MARKER in foreign.read_text()


def test_uninstall_removes_only_ours(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    hooks = repo / ".git" / "hooks"
    assert patchscope(repo, "hook", "install", "--hook", "pre-push").returncode == 0
    (hooks / "commit-msg").write_text("#!/bin/sh\necho mine\n")
    done = patchscope(repo, "hook", "uninstall")
    assert done.returncode == 0
    assert not (hooks / "pre-push").exists()
    assert (hooks / "commit-msg").read_text() == "#!/bin/sh\necho mine\n"
    assert "pre-commit: absent" in done.stdout


def test_not_a_repository_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    done = patchscope(folder, "hook", "install")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "not a git repository" in done.stderr
    assert list(folder.iterdir()) == []
