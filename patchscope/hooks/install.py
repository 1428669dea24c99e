"""Install and uninstall patchscope's hook scripts in a repository's hooks folder.

A script is ours when it carries MARKER; anything else in the folder is the user's and
is replaced only with `force`, and never removed.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from patchscope.errors import PatchscopeError

MARKER = "# patchscope-hook:"
# what git passes each hook on its command line (pre-push also gets the refs on stdin)
_ARGS = {"pre-push": '"$1" "$2"', "pre-commit": "", "commit-msg": '"$1"'}


class HookError(PatchscopeError):
    """A repository we cannot install into, or a hook that is not ours to replace."""


@dataclass(frozen=True)
class Done:
    hook: str
    path: Path
    action: str  # "installed", "replaced", "removed", "absent", "not ours, left alone"


def hooks_dir(repo: Path) -> Path:
    """Where git looks for hooks: core.hooksPath when set, else $GIT_DIR/hooks."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--git-path", "hooks"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        raise HookError(f"{repo} is not a folder (or git is not installed)") from None
    if done.returncode != 0:
        raise HookError(f"{repo} is not a git repository")
    return (repo / done.stdout.strip()).resolve()


def script(hook: str) -> str:
    """The hook script: this interpreter runs patchscope, so a virtualenv need not be active."""
    command = f"{shlex.quote(sys.executable)} -m patchscope.cli hook run {hook} {_ARGS[hook]}"
    return (
        "#!/bin/sh\n"
        f"{MARKER} {hook}\n"
        "# Written by `patchscope hook install`; `patchscope hook uninstall` removes it.\n"
        f"exec {command.rstrip()}\n"
    )


def is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install(repo: Path, hooks: list[str], *, force: bool = False) -> list[Done]:
    """Write each hook script; refuse (writing none) when one would replace a foreign hook."""
    folder = hooks_dir(repo)
    foreign = [h for h in hooks if _exists(folder / h) and not is_ours(folder / h)]
    if foreign and not force:
        raise HookError(
            f"{folder / foreign[0]} exists and was not written by patchscope; "
            "use --force to replace it"
        )
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for hook in hooks:
        path = folder / hook
        action = "replaced" if hook in foreign else "installed"
        if path.is_symlink():
            path.unlink()  # replace the link itself, not the file it points at
        path.write_text(script(hook), encoding="utf-8")
        path.chmod(0o755)
        done.append(Done(hook, path, action))
    return done


def uninstall(repo: Path, hooks: list[str]) -> list[Done]:
    """Remove the hooks we wrote; leave every other file where it is."""
    folder = hooks_dir(repo)
    done = []
    for hook in hooks:
        path = folder / hook
        if not _exists(path):
            done.append(Done(hook, path, "absent"))
        elif is_ours(path):
            path.unlink()
            done.append(Done(hook, path, "removed"))
        else:
            done.append(Done(hook, path, "not ours, left alone"))
    return done


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()
