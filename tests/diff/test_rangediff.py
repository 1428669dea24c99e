"""range_diff on two versions of a series written in a real git repo, checked against git itself.

The series (tests/fixtures/rangediff/make_versions.sh) has, from v1 to v2, one patch moved to
another offset, one with a hunk line edited, one dropped, one new and one reworded. What
`git range-diff` and `git patch-id` say on the same commits is the expectation.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path

import pytest

from patchscope.diff.model import Diffstat, HunkLine
from patchscope.diff.parse import parse_diff
from patchscope.diff.rangediff import PatchIdError, RangeDiff, marker, patch_ids, range_diff
from patchscope.ingest.mail import Person
from patchscope.ingest.series import Patch
from patchscope.ingest.subject import Subject
from tests.conftest import git

SCRIPT = Path(__file__).resolve().parents[1] / "fixtures" / "rangediff" / "make_versions.sh"
NOBODY = Person("Ann Author", "ann@example.org")


def make_versions(out: Path) -> Path:
    """Run the fixture script into OUT (no user git config, HOME kept inside OUT)."""
    env = {**os.environ, "HOME": str(out)}
    subprocess.run(["sh", str(SCRIPT), str(out)], env=env, check=True, capture_output=True)
    return out / "repo"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_versions(tmp_path_factory.mktemp("rangediff"))


def commit_patch(repo: Path, sha: str, number: int, total: int) -> Patch:
    """The Patch a mail of this commit carries, built from git's own diff of it."""
    title = git(repo, "log", "-1", "--format=%s", sha).strip()
    subject = Subject(title, title, ("PATCH",), 1, False, False, number, total, False, True)
    files = parse_diff(git(repo, "diff-tree", "-p", "--no-commit-id", sha)).files
    return Patch(
        number=number,
        total=total,
        subject=subject,
        author=NOBODY,
        sender=NOBODY,
        recipients=(),
        message_id=sha,
        date="",
        message=git(repo, "log", "-1", "--format=%b", sha),
        signed_off_by=(NOBODY,),
        trailers=(),
        commit_refs=(),
        files=files,
        claimed=None,
        computed=Diffstat(len(files), 0, 0),
        malformed=False,
    )


def range_patches(repo: Path, rev_range: str) -> list[Patch]:
    shas = git(repo, "rev-list", "--reverse", rev_range).split()
    return [commit_patch(repo, sha, n, len(shas)) for n, sha in enumerate(shas, 1)]


@pytest.fixture(scope="module")
def versions(repo: Path) -> tuple[list[Patch], list[Patch]]:
    return range_patches(repo, "base1..v1"), range_patches(repo, "base2..v2")


@pytest.fixture(scope="module")
def result(versions: tuple[list[Patch], list[Patch]]) -> RangeDiff:
    return range_diff(*versions)


Row = tuple[int | None, str, int | None, str]
GIT_LINE = re.compile(r"^\s*(\d+|-):\s+(?:[0-9a-f]+|-+) ([=!<>])\s+(\d+|-):\s+\S+ (.*)$")


def git_range_diff(repo: Path, new_range: str = "base2..v2") -> list[Row]:
    """git's own pairing: (old number, marker, new number, title) per header line."""
    text = git(repo, "range-diff", "--no-color", "base1..v1", new_range)
    return [row for line in text.splitlines() if (row := parse_header(line))]


def parse_header(line: str) -> Row | None:
    match = GIT_LINE.match(line)
    if not match:
        return None
    old, sign, new, title = match.groups()
    return (None if old == "-" else int(old), sign, None if new == "-" else int(new), title)


def our_rows(result: RangeDiff) -> list[Row]:
    return [
        (e.old.number if e.old else None, marker(e), e.new.number if e.new else None, e.title)
        for e in result.entries
    ]


def by_title(result: RangeDiff) -> dict[str, tuple[str, bool]]:
    return {e.title: (e.status, e.message_changed) for e in result.entries}


def test_each_status_as_the_series_was_written(result: RangeDiff) -> None:
    assert by_title(result) == {
        "mm/alpha: add alpha_total helper": ("unchanged", False),
        "mm/beta: fail negative sizes": ("changed", False),
        "mm/gamma: drop the debug print": ("dropped", False),
        "mm/epsilon: add range length helper": ("new", False),
        "mm/delta: rename delta_cnt": ("unchanged", True),
    }
    reworded = result.entries[-1]
    assert reworded.paired_by == "patch-id"
    assert reworded.new is not None
    assert reworded.new.title == "mm/delta: give the counter a descriptive name"


def test_pairing_and_order_agree_with_git_range_diff(repo: Path, result: RangeDiff) -> None:
    theirs = git_range_diff(repo)
    assert len(theirs) == 5
    assert our_rows(result) == theirs


def test_renamed_and_edited_patch_is_paired_by_similarity_as_git_pairs_it(
    repo: Path, versions: tuple[list[Patch], list[Patch]]
) -> None:
    result = range_diff(versions[0], range_patches(repo, "base2..v3"))
    first = result.entries[0]
    assert (first.status, first.paired_by, first.message_changed) == ("changed", "similarity", True)
    assert first.new is not None and first.new.title == "mm/alpha: add a summing helper"
    assert our_rows(result) == git_range_diff(repo, "base2..v3")


def test_patch_ids_agree_with_git_on_format_patch_output(
    repo: Path, versions: tuple[list[Patch], list[Patch]]
) -> None:
    for patches, rev_range in zip(versions, ("base1..v1", "base2..v2"), strict=True):
        mails = git(repo, "format-patch", "--stdout", rev_range)
        run = subprocess.run(
            ["git", "patch-id", "--stable"], input=mails, capture_output=True, text=True, check=True
        )
        assert patch_ids(patches) == [line.split()[0] for line in run.stdout.splitlines()]


def test_moved_patch_has_no_interdiff_but_edited_one_shows_the_line(result: RangeDiff) -> None:
    moved, edited = result.entries[0], result.entries[1]
    assert moved.old and moved.new and moved.old.patch_id == moved.new.patch_id
    assert moved.interdiff == ""
    assert edited.old and edited.new and edited.old.patch_id != edited.new.patch_id
    changed = [line for line in (edited.interdiff or "").splitlines() if line[:2] in ("-+", "++")]
    assert changed == ["-+\t\treturn -EINVAL;", "++\t\treturn -ERANGE;"]


def test_interdiff_content_lines_are_those_git_shows(repo: Path, result: RangeDiff) -> None:
    text = git(repo, "range-diff", "--no-color", "base1..v1", "base2..v2")
    block = text.split(" ! 2:", 1)[1].split("\n3:", 1)[0]
    git_lines = [line[4:] for line in block.splitlines()[1:] if line.startswith("    ")]
    ours = (result.entries[1].interdiff or "").splitlines()
    body = [line for line in git_lines if not line.startswith("@@")]
    assert "++\t\treturn -ERANGE;" in body
    assert [line for line in ours if not line.startswith("@@")] == body


def _edit_first_added_line(patch: Patch, text: str) -> Patch:
    file = patch.files[0]
    hunk = file.hunks[0]
    k = next(k for k, line in enumerate(hunk.lines) if line.kind == "+" and line.text)
    lines = list(hunk.lines)
    lines[k] = HunkLine("+", text, None, lines[k].new_no)
    file = dataclasses.replace(file, hunks=(dataclasses.replace(hunk, lines=tuple(lines)),))
    return dataclasses.replace(patch, files=(file, *patch.files[1:]))


def test_perturbed_line_in_moved_patch_makes_it_changed(
    versions: tuple[list[Patch], list[Patch]],
) -> None:
    old, new = versions
    touched = _edit_first_added_line(new[0], "int alpha_sum(int a, int b)")
    entry = range_diff(old, [touched, *new[1:]]).entries[0]
    assert (entry.status, entry.paired_by) == ("changed", "title")
    outer = [line for line in (entry.interdiff or "").splitlines() if line[:1] in "+-"]
    assert outer == ["-+int alpha_total(int a, int b)", "++int alpha_sum(int a, int b)"]


def test_unrelated_patches_stay_apart(versions: tuple[list[Patch], list[Patch]]) -> None:
    old, new = versions
    only_gamma, only_epsilon = [old[2]], [new[2]]
    statuses = [e.status for e in range_diff(only_gamma, only_epsilon).entries]
    assert statuses == ["dropped", "new"]


def test_everything_dropped_keeps_old_order(versions: tuple[list[Patch], list[Patch]]) -> None:
    old, _ = versions
    entries = range_diff(old, []).entries
    assert [(e.status, e.old.number if e.old else None) for e in entries] == [
        ("dropped", 1),
        ("dropped", 2),
        ("dropped", 3),
        ("dropped", 4),
    ]


def _retitled(patch: Patch, title: str) -> Patch:
    return dataclasses.replace(patch, subject=dataclasses.replace(patch.subject, title=title))


def test_titles_pair_despite_case_and_spacing_but_not_other_words(
    versions: tuple[list[Patch], list[Patch]],
) -> None:
    old, new = versions
    respelled = _retitled(new[1], "MM/Beta:  fail negative\tSIZES ")
    entry = range_diff(old, [new[0], respelled, *new[2:]]).entries[1]
    assert (entry.status, entry.paired_by, entry.message_changed) == ("changed", "title", True)
    reworded = _retitled(new[1], "mm/beta: fail negative lengths")
    entry = range_diff(old, [new[0], reworded, *new[2:]]).entries[1]
    assert entry.paired_by == "similarity"


def test_without_git_the_error_is_one_line(
    versions: tuple[list[Patch], list[Patch]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PatchIdError) as caught:
        range_diff(*versions)
    assert "git patch-id" in str(caught.value) and "\n" not in str(caught.value)
