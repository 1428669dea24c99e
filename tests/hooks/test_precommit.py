"""patchscope through the real pre-commit package: the manifest validates, and its hooks,
declared `repo: local`, `language: system` (nothing to install), block a bad commit,
message and push in a throw-away repository."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import yaml  # type: ignore[import-untyped]

from tests.conftest import ROOT, git
from tests.hooks.repo import BAD, GOOD, SIGNED, commit, run, with_remote, write

MANIFEST = ROOT / ".pre-commit-hooks.yaml"
PRE_COMMIT = (sys.executable, "-m", "pre_commit")


def pre_commit(repo: Path, *argv: str) -> tuple[int, str]:
    done = run(repo, *PRE_COMMIT, *argv)
    return done.returncode, done.stdout + done.stderr


def test_manifest_validates(tmp_path: Path) -> None:
    assert pre_commit(tmp_path, "validate-manifest", str(MANIFEST))[0] == 0
    hooks = yaml.safe_load(MANIFEST.read_text())
    assert {h["id"] for h in hooks} == {
        "patchscope-staged",
        "patchscope-commit-msg",
        "patchscope-push",
    }
    broken = tmp_path / "broken.yaml"  # perturbed: an entry is required
    broken.write_text(yaml.safe_dump([{k: v for k, v in hooks[0].items() if k != "entry"}]))
    assert pre_commit(tmp_path, "validate-manifest", str(broken))[0] != 0


def local_config() -> str:
    """Our manifest's hooks as a `repo: local` block run by this interpreter."""
    python = f"{shlex.quote(sys.executable)} -m patchscope.cli"
    hooks = []
    for hook in yaml.safe_load(MANIFEST.read_text()):
        entry = hook["entry"].replace("patchscope", python, 1)
        hooks.append({**hook, "entry": entry, "language": "system"})
    return str(yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}))


def test_hooks_through_pre_commit(tmp_path: Path) -> None:
    repo = with_remote(tmp_path)
    home = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    write(repo, {".pre-commit-config.yaml": local_config()})
    git(repo, "add", ".pre-commit-config.yaml")
    for hook_type in ("pre-commit", "commit-msg", "pre-push"):
        installed = run(repo, *PRE_COMMIT, "install", "--hook-type", hook_type, extra=home)
        assert installed.returncode == 0, installed.stderr

    def attempt(*argv: str) -> tuple[int, str]:
        done = run(repo, *argv, extra=home)
        return done.returncode, done.stdout + done.stderr

    write(repo, BAD)
    git(repo, "add", "-A")
    code, said = attempt("git", "commit", "-m", "mm: add a knob" + SIGNED)
    assert code != 0 and "undeclared-global" in said
    git(repo, "reset", "-q", "--", "drivers")
    code, said = attempt("git", "commit", "-m", "add a knob" + SIGNED)
    assert code != 0 and "commit-subject" in said
    code, said = attempt("git", "commit", "-m", "mm: add a knob" + SIGNED)
    assert code == 0, said
    code, said = attempt("git", "push", "origin", "main")
    assert code == 0, said
    other = {name.replace("hp", "xp"): text.replace("hp_", "xp_") for name, text in BAD.items()}
    commit(repo, {**GOOD, **other}, "mm: add another knob")  # --no-verify: push must catch it
    pushed = git(repo, "rev-parse", "origin/main")
    code, said = attempt("git", "push", "origin", "main")
    assert code != 0 and "undeclared-global" in said and "xp_knob" in said
    assert git(repo, "rev-parse", "origin/main") == pushed
    assert (tmp_path / "pre-commit-home").is_dir()  # pre-commit kept its files in tmp_path
    assert not (tmp_path / ".cache" / "pre-commit").exists()
