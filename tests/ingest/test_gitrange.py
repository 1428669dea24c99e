"""Git ranges read as the mails `git format-patch` writes, on a real repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from patchscope.errors import SourceError
from patchscope.ingest.gitrange import parse_range
from patchscope.ingest.mail import Mail
from patchscope.ingest.sources import load
from patchscope.ingest.trailers import split_body
from tests.conftest import GitSeries, git


def patches(mails: tuple[Mail, ...]) -> list[tuple[str, str, str]]:
    """What a patch mail says, cover letter left out: subject, commit message, diff."""
    return [
        (mail.subject, split_body(mail.body).message, split_body(mail.body).diff)
        for mail in mails
        if "0/" not in mail.subject
    ]


def snapshot(repo: Path) -> tuple[str, str, str, str]:
    """Everything a read-only reader must leave alone: refs, HEAD, index and work tree."""
    return (
        git(repo, "for-each-ref"),
        git(repo, "rev-parse", "HEAD"),
        git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
        git(repo, "diff", "--cached"),
    )


def test_range_equals_format_patch_files(git_series: GitSeries) -> None:
    s = git_series
    from_git = load(f"git:{s.repo}@{s.base}..{s.tip}")
    from_files = load(str(s.patch_dir))
    count = int(git(s.repo, "rev-list", "--count", f"{s.base}..{s.tip}"))
    assert len(from_git.mails) == count + 1
    assert from_git.mails[0].subject == f"[PATCH 0/{count}] *** SUBJECT HERE ***"
    assert patches(from_git.mails) == patches(from_files.mails)
    assert [m.body for m in from_git.mails[1:]] == [m.body for m in from_files.mails[1:]]
    assert from_git.origin == f"git:{s.repo}@{s.base}..{s.tip}"


def test_one_changed_line_is_seen(git_series: GitSeries, tmp_path: Path) -> None:
    """The perturbed twin: edit one diff line of patch 2 and exactly that patch differs."""
    s = git_series
    edited = tmp_path / "edited"
    shutil.copytree(s.patch_dir, edited)
    second = sorted(edited.glob("0002-*.patch"))[0]
    text = second.read_text()
    second.write_text(
        text.replace("+\tif (counter + n < counter)", "+\tif (counter + n <= counter)")
    )
    from_git = patches(load(f"git:{s.repo}@{s.base}..{s.tip}").mails)
    from_edit = patches(load(str(edited)).mails)
    differing = [i for i, (a, b) in enumerate(zip(from_git, from_edit, strict=True)) if a != b]
    assert differing == [1]


@pytest.mark.parametrize("tip", ["{tip}", "{tip}~2"])
def test_cover_letter_carries_the_cumulative_diffstat(git_series: GitSeries, tip: str) -> None:
    """For the whole range and, perturbed, before the x86 commit: git's own diffstat each time."""
    s = git_series
    tip = tip.format(tip=s.tip)
    cover = load(f"git:{s.repo}@{s.base}..{tip}").mails[0]
    assert git(s.repo, "diff", "--stat=80", f"{s.base}..{tip}") in cover.body
    other = s.tip if tip != s.tip else f"{s.tip}~2"
    assert git(s.repo, "diff", "--stat=80", f"{s.base}..{other}") not in cover.body


def test_repository_is_left_alone(git_series: GitSeries) -> None:
    s = git_series
    (s.repo / "mm" / "hotplug.c").write_text("/* unsaved work */\n")
    (s.repo / "staged.c").write_text("int staged;\n")
    git(s.repo, "add", "staged.c")
    (s.repo / "untracked.c").write_text("int untracked;\n")
    before = snapshot(s.repo)
    load(f"git:{s.repo}@{s.base}..{s.tip}")
    assert snapshot(s.repo) == before
    assert (s.repo / "mm" / "hotplug.c").read_text() == "/* unsaved work */\n"


def test_user_and_repo_config_cannot_change_the_patches(
    git_series: GitSeries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = git_series
    plain = load(f"git:{s.repo}@{s.base}..{s.tip}")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[format]\n\tsubjectPrefix = HACK\n\tsignature = not git\n\theaders = X-Hack: 1\n"
        "[diff]\n\tcontext = 1\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    git(s.repo, "config", "diff.noprefix", "true")
    # The settings are live: plain git picks them up...
    env = {**os.environ, "HOME": str(home)}
    raw = subprocess.run(
        ["git", "format-patch", "--stdout", f"{s.base}..{s.tip}"],
        cwd=s.repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "[HACK 1/" in raw and "diff --git mm/hotplug.c mm/hotplug.c" in raw
    # ...and the range reader does not.
    assert load(f"git:{s.repo}@{s.base}..{s.tip}") == plain


def test_at_signs_in_path_and_revision(git_series: GitSeries, tmp_path: Path) -> None:
    copy = tmp_path / "mail@host" / "repo"
    shutil.copytree(git_series.repo, copy)
    loaded = load(f"git:{copy}@@~2..@")  # '@' is git's short name for HEAD
    first, second = git(copy, "log", "--reverse", "--format=%s", "-2").splitlines()
    assert [m.subject for m in loaded.mails[1:]] == [
        f"[PATCH 1/2] {first}",
        f"[PATCH 2/2] {second}",
    ]


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        load(f"git:{tmp_path}@HEAD~1..HEAD")
    assert str(caught.value) == f"{tmp_path} is not a git repository"


def test_missing_repository_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        load(f"git:{tmp_path / 'nowhere'}@a..b")
    assert str(caught.value) == f"{tmp_path / 'nowhere'} is not a git repository"


def test_range_that_does_not_resolve(git_series: GitSeries) -> None:
    with pytest.raises(SourceError) as caught:
        load(f"git:{git_series.repo}@no-such-tag..{git_series.tip}")
    assert str(caught.value) == (
        f"git range no-such-tag..{git_series.tip} does not resolve in {git_series.repo}"
    )


def test_option_lookalike_revision_is_not_an_option(git_series: GitSeries, tmp_path: Path) -> None:
    target = tmp_path / "written"
    with pytest.raises(SourceError) as caught:
        load(f"git:{git_series.repo}@--output={target}..HEAD")
    assert str(caught.value) == (
        f"git range --output={target}..HEAD does not resolve in {git_series.repo}"
    )
    assert not target.exists()


def test_git_failure_is_one_line(git_series: GitSeries) -> None:
    """A blob of the last commit gone from the object store: format-patch itself fails."""
    s = git_series
    blob = git(s.repo, "rev-parse", f"{s.tip}:mm/hotplug.c").strip()
    (s.repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    with pytest.raises(SourceError) as caught:
        load(f"git:{s.repo}@{s.base}..{s.tip}")
    message = str(caught.value)
    assert message.startswith(f"git failed on git:{s.repo}@{s.base}..{s.tip}: fatal: ")
    assert "\n" not in message


def test_empty_range(git_series: GitSeries) -> None:
    with pytest.raises(SourceError) as caught:
        load(f"git:{git_series.repo}@HEAD..HEAD")
    assert str(caught.value) == "no commits in HEAD..HEAD"


@pytest.mark.parametrize("source", ["git:repo", "git:repo@HEAD", "git:repo@a...b", "git:@a..b"])
def test_malformed_range(source: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_range(source)
    assert str(caught.value) == f"git range must look like git:PATH@BASE..TIP, not {source}"
