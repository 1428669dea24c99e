"""The hooks run by real git: pre-push on the pushed ranges, pre-commit on the staged diff,
commit-msg on the message; a hook never changes the work tree, the index or a ref."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from patchscope.hooks.message import subject_problem
from patchscope.pipeline import load_series
from tests.conftest import REFERENCE_MANIFEST, git
from tests.hooks.repo import (
    BAD,
    GOOD,
    SIGNED,
    commit,
    new_repo,
    patchscope,
    run,
    snapshot,
    with_remote,
    write,
)

ZERO = "0" * 40


def said(done: subprocess.CompletedProcess[str]) -> str:
    """What a command run through git printed: git sends a hook's output to either stream."""
    return done.stdout + done.stderr


def test_pre_push_blocks_a_bad_commit_and_lets_a_good_one_through(tmp_path: Path) -> None:
    repo = with_remote(tmp_path)
    assert patchscope(repo, "hook", "install").returncode == 0
    commit(repo, GOOD, "mm: add a helper")
    pushed = run(repo, "git", "push", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr + pushed.stdout
    good = git(repo, "rev-parse", "HEAD").strip()
    commit(repo, BAD, "mm: add a knob")
    refused = run(repo, "git", "push", "origin", "main")
    assert refused.returncode != 0
    assert "undeclared-global" in said(refused) + refused.stderr
    assert git(repo, "rev-parse", "origin/main").strip() == good
    remote = tmp_path / "origin.git"
    assert git(remote, "rev-parse", "main").strip() == good


def test_pre_push_new_branch_is_checked_from_the_merge_base(tmp_path: Path) -> None:
    """A new branch: only the commits after the remote's default branch are checked, so a
    bad commit already on main (pushed with --no-verify) does not block the topic."""
    repo = with_remote(tmp_path)
    commit(repo, BAD, "mm: add a knob")
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    assert patchscope(repo, "hook", "install").returncode == 0
    git(repo, "checkout", "-q", "-b", "topic")
    commit(repo, GOOD, "mm: add a helper")
    pushed = run(repo, "git", "push", "origin", "topic")
    assert pushed.returncode == 0, pushed.stderr + pushed.stdout
    git(repo, "checkout", "-q", "-b", "topic2", "main")
    other = {name.replace("hp", "xp"): text.replace("hp_", "xp_") for name, text in BAD.items()}
    commit(repo, other, "mm: add another knob")
    refused = run(repo, "git", "push", "origin", "topic2")
    assert refused.returncode != 0 and "undeclared-global" in said(refused)
    deleted = run(repo, "git", "push", "origin", ":topic")
    assert deleted.returncode == 0, deleted.stderr


def test_pre_push_range_from_stdin_without_remote_head(tmp_path: Path) -> None:
    """No remote default branch: the new commits are those no remote ref holds."""
    repo = with_remote(tmp_path)
    git(repo, "remote", "set-head", "origin", "--delete")
    base = git(repo, "rev-parse", "HEAD").strip()
    tip = commit(repo, BAD, "mm: add a knob")
    line = f"refs/heads/main {tip} refs/heads/new {ZERO}\n"
    done = patchscope(repo, "hook", "run", "pre-push", "origin", "url", feed=line)
    assert done.returncode == 1 and "undeclared-global" in done.stdout
    assert f"{base[:12]}..{tip[:12]}" in done.stdout
    deletion = f"(delete) {ZERO} refs/heads/old {tip}\n"
    assert patchscope(repo, "hook", "run", "pre-push", "origin", "url", feed=deletion).stdout == ""


def test_pre_commit_checks_the_staged_diff(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    assert patchscope(repo, "hook", "install", "--hook", "pre-commit").returncode == 0
    write(repo, BAD)
    git(repo, "add", "-A")
    refused = run(repo, "git", "commit", "-q", "-m", "mm: add a knob" + SIGNED)
    assert refused.returncode != 0
    assert "undeclared-global" in said(refused) and "drivers/hp/probe.c" in said(refused)
    assert "patchscope: blocked." in refused.stderr and ".patchscope-baseline.toml" in said(refused)
    assert git(repo, "log", "-1", "--format=%s").strip() == "base"
    git(repo, "reset", "-q", "--", "drivers")  # without the driver's use, the global is fine
    passed = run(repo, "git", "commit", "-q", "-m", "mm: add a knob" + SIGNED)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert git(repo, "log", "-1", "--format=%s").strip() == "mm: add a knob"


def test_pre_commit_through_core_hooks_path(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    git(repo, "config", "core.hooksPath", "githooks")
    assert patchscope(repo, "hook", "install", "--hook", "pre-commit").returncode == 0
    write(repo, BAD)
    git(repo, "add", "-A")
    refused = run(repo, "git", "commit", "-q", "-m", "mm: add a knob" + SIGNED)
    assert refused.returncode != 0 and "undeclared-global" in said(refused)


def test_commit_msg_subject_and_signoff(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    assert patchscope(repo, "hook", "install", "--hook", "commit-msg").returncode == 0
    write(repo, GOOD)
    git(repo, "add", "-A")
    no_prefix = run(repo, "git", "commit", "-q", "-m", "add a helper" + SIGNED)
    assert no_prefix.returncode != 0 and "commit-subject" in said(no_prefix)
    unsigned = run(repo, "git", "commit", "-q", "-m", "mm: add a helper")
    assert unsigned.returncode != 0 and "signoff-missing" in said(unsigned)
    good = run(repo, "git", "commit", "-q", "-m", "mm: add a helper" + SIGNED)
    assert good.returncode == 0, good.stdout + good.stderr
    assert said(good) == ""


def test_commit_msg_claims_against_the_staged_diff(tmp_path: Path) -> None:
    """ "No functional change" over a changed condition is a warning: shown, not blocking
    at the default --fail-on error; the same words over a pure rename say nothing."""
    repo = new_repo(tmp_path)
    body = "int hp_check(int n)\n{\n\tif (n > 2)\n\t\treturn 1;\n\treturn 0;\n}\n"
    commit(repo, {"mm/hp.c": body}, "mm: add hp_check")
    write(repo, {"mm/hp.c": body.replace("n > 2", "n > 3")})
    git(repo, "add", "-A")
    message = tmp_path / "msg"
    message.write_text("mm: tidy hp_check\n\nNo functional change." + SIGNED + "\n# a comment\n")
    done = patchscope(repo, "hook", "run", "commit-msg", str(message))
    assert done.returncode == 0 and "claim-mismatch" in done.stdout
    assert "changes a condition" in done.stdout
    strict = patchscope(repo, "hook", "run", "commit-msg", str(message), "--fail-on", "warning")
    assert strict.returncode == 1
    # as pre-commit calls it: the hook's `args:` first, then the message file
    args_first = patchscope(repo, "hook", "run", "commit-msg", "--fail-on", "warning", str(message))
    assert args_first.returncode == 1 and "claim-mismatch" in args_first.stdout
    write(repo, {"mm/hp.c": body.replace("int n", "int count").replace("(n ", "(count ")})
    git(repo, "add", "-A")
    renamed = patchscope(repo, "hook", "run", "commit-msg", str(message))
    assert (renamed.returncode, renamed.stdout) == (0, "")


def test_reference_subjects_have_the_shape() -> None:
    """Real kernel subjects (the reference thread's patches) pass; perturbed ones do not."""
    titles = [p.subject.title for p in load_series(str(REFERENCE_MANIFEST)).patches]
    assert len(titles) == 4
    assert [subject_problem(t) for t in titles] == [None] * 4
    for title in titles:
        prefix, _, summary = title.partition(": ")
        assert subject_problem(summary) is not None
        assert subject_problem(f"{prefix}:{summary}") is not None  # no space after the colon
        assert subject_problem(f"fixup! {title}") is None
        assert subject_problem(f"fixup! {summary}") is not None


@pytest.mark.parametrize(
    ("subject", "ok"),
    [
        ("mm, memory_hotplug: add a knob", True),
        ("arm64: mm: add a knob", True),
        ("drivers/base/memory.c: add a knob", True),
        ('Revert "mm: add a knob"', True),
        ("Add a knob", False),
        (": add a knob", False),
        ("mm : add a knob", False),
        ("", False),
    ],
)
def test_subject_shapes(subject: str, ok: bool) -> None:
    assert (subject_problem(subject) is None) == ok


@pytest.mark.parametrize("hook", ["pre-push", "pre-commit", "commit-msg"])
def test_hooks_change_nothing(tmp_path: Path, hook: str) -> None:
    """Status (tracked, untracked, ignored), the index file's bytes and every ref are the
    same after a hook run, whether it finds something or not."""
    repo = with_remote(tmp_path)
    tip = commit(repo, BAD, "mm: add a knob")
    write(repo, {".gitignore": "*.o\n", "mm/hp.o": "obj\n", "mm/new.c": "int x;\n"})
    git(repo, "add", ".gitignore")
    write(repo, {"mm/hpknob.c": "bool hp_knob;\n"})  # unstaged change on top
    message = tmp_path / "msg"
    message.write_text("add a knob\n")
    argv = {
        "pre-push": (["origin", "url"], f"refs/heads/main {tip} refs/heads/main {ZERO}\n"),
        "pre-commit": ([], None),
        "commit-msg": ([str(message)], None),
    }[hook]
    before = snapshot(repo)
    done = patchscope(repo, "hook", "run", hook, *argv[0], feed=argv[1])
    assert done.returncode in (0, 1), done.stderr
    assert snapshot(repo) == before
    assert message.read_text() == "add a knob\n"
    git(repo, "add", "mm/new.c")  # the snapshot does see a change to the index
    assert snapshot(repo).index != before.index


def test_pre_push_leaves_the_model_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even for a series a manifest gives a model, the hook checks without it: it stays fast."""
    from patchscope.hooks.run import pre_push

    def no_model(*_args: object, **_kwargs: object) -> list[object]:
        raise AssertionError("a hook ran the model")

    monkeypatch.setattr("patchscope.gather.model_of", lambda *_: "memmap_hotadd_rfc_v2")
    monkeypatch.setattr("patchscope.gather.model_findings", no_model)
    repo = with_remote(tmp_path)
    base = git(repo, "rev-parse", "HEAD").strip()
    commit(repo, GOOD, "mm: add a helper")
    tip = git(repo, "rev-parse", "HEAD").strip()
    line = f"refs/heads/main {tip} refs/heads/main {base}"
    assert pre_push(repo, "origin", [line], fail_on="error") == 0
