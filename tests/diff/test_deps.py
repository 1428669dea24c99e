"""dependencies(): blob ids and lines an earlier patch introduced, checked against the data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patchscope.diff.deps import Dependency, dependencies
from patchscope.diff.parse import parse_diff
from tests.conftest import git
from tests.diff.test_compose import (
    RepoSeries,
    Tree,
    blamed_lines,
    build_repo_series,
    c_file,
    diff_part,
    reference_mails,
    reference_patches,
)

# "diff --git a/X b/Y" then, before the next file, "index PRE..POST"
_FILE_INDEX = re.compile(
    r"^diff --git a/(\S+) b/(\S+)\n(?:(?!diff --git).*\n)*?index (\w+)\.\.(\w+)", re.M
)
_LINE_DETAIL = re.compile(
    r"^(?P<path>\S+):(?P<first>\d+)(?:-(?P<last>\d+))? added by (?P<by>\d+)/\d+$"
)


def index_lines(diff: str) -> list[tuple[str, str, str, str]]:
    """(old path, new path, pre blob, post blob) for every file with an index line."""
    return [(m[1], m[2], m[3], m[4]) for m in _FILE_INDEX.finditer(diff)]


def expected_blob_pairs(diffs: dict[int, str]) -> set[tuple[int, int, str]]:
    """(patch, newest earlier patch whose post-image blob is its pre-image, file)."""
    pairs = set()
    for q, diff in diffs.items():
        for old, _, pre, _ in index_lines(diff):
            if set(pre) == {"0"}:
                continue
            producers = [
                p
                for p in diffs
                if p < q
                for _, new, _, post in index_lines(diffs[p])
                if new == old and (post.startswith(pre) or pre.startswith(post))
            ]
            if producers:
                pairs.add((q, max(producers), old))
    return pairs


def blob_pairs(found: tuple[Dependency, ...]) -> set[tuple[int, int, str]]:
    return {(d.patch, d.depends_on, r.file) for d in found for r in d.reasons if r.kind == "blob"}


def line_reasons(found: tuple[Dependency, ...]) -> set[tuple[int, str, str, int, int]]:
    """Every (patch, file, kind, line, introduced by) the line reasons name, ranges expanded."""
    lines: set[tuple[int, str, str, int, int]] = set()
    for dep in found:
        for reason in dep.reasons:
            if reason.kind == "blob":
                continue
            m = _LINE_DETAIL.match(reason.detail)
            assert m, reason.detail
            assert m["path"] == reason.file and int(m["by"]) == dep.depends_on
            first, last = int(m["first"]), int(m["last"] or m["first"])
            lines |= {
                (dep.patch, reason.file, reason.kind, n, dep.depends_on)
                for n in range(first, last + 1)
            }
    return lines


# --- the reference thread --------------------------------------------------------------


def test_reference_blob_reasons_are_the_index_lines() -> None:
    mails = reference_mails()
    diffs = {n: diff_part(mails[n]) for n in sorted(mails) if n}
    expected = expected_blob_pairs(diffs)
    assert expected  # the series does chain blobs

    found = dependencies(reference_patches())

    assert blob_pairs(found) == expected
    for dep in found:
        for reason in dep.reasons:
            if reason.kind == "blob":
                pre = re.fullmatch(r"pre-image (\w+) is (\d+)/4's post-image", reason.detail)
                assert pre and int(pre[2]) == dep.depends_on
                assert f"index {pre[1]}.." in diffs[dep.patch]


def test_reference_is_sorted_by_patch_then_dependency() -> None:
    found = dependencies(reference_patches())
    keys = [(d.patch, d.depends_on) for d in found]
    assert keys == sorted(set(keys))
    assert all(d.depends_on < d.patch and d.reasons for d in found)


def test_reference_line_reasons_are_lines_the_earlier_patch_added() -> None:
    """The lines named, read in the later patch, are among the earlier patch's '+' lines."""
    mails = reference_mails()
    patches = dict(reference_patches())
    lines = line_reasons(dependencies(reference_patches()))
    assert any(kind == "context" for _, _, kind, _, _ in lines)
    assert any(kind == "removed" for _, _, kind, _, _ in lines)
    for patch, path, kind, n, by in lines:
        (fd,) = [f for f in patches[patch] if f.old_path == path]
        (shown,) = [hl for h in fd.hunks for hl in h.lines if hl.old_no == n]
        assert shown.kind == ("-" if kind == "removed" else " ")
        plus = {ln[1:] for ln in diff_part(mails[by]).splitlines() if ln.startswith("+")}
        assert shown.text in plus, (patch, path, n)


def test_reference_perturbed_index_line_drops_only_that_blob_reason() -> None:
    """4/4 with another pre-image id: no blob reason on 3/4, the context reason stays."""
    mails = reference_mails()
    text = diff_part(mails[4])
    (_, _, pre, _) = index_lines(text)[0]
    perturbed = parse_diff(text.replace(f"index {pre}..", "index 0123456789ab..")).files
    patches = [*reference_patches()[:3], (4, perturbed)]

    found = {(d.patch, d.depends_on): d for d in dependencies(patches)}
    original = {(d.patch, d.depends_on): d for d in dependencies(reference_patches())}

    assert [r.kind for r in original[(4, 3)].reasons if r.kind == "blob"] == ["blob"]
    assert [r.kind for r in found[(4, 3)].reasons] == [
        r.kind for r in original[(4, 3)].reasons if r.kind != "blob"
    ]
    assert found[(4, 3)].reasons  # still needs 3/4 for its context lines


# --- a real git series -----------------------------------------------------------------


@pytest.fixture(scope="module")
def repo_series(tmp_path_factory: pytest.TempPathFactory) -> RepoSeries:
    return build_repo_series(tmp_path_factory.mktemp("deps"))


def test_repo_series_line_reasons_match_git_blame(repo_series: RepoSeries) -> None:
    patches = repo_series.patches()
    expected = blamed_lines(repo_series, patches)
    assert {kind for _, _, kind, _, _ in expected} == {"context", "removed"}

    assert line_reasons(dependencies(patches)) == expected


def test_repo_series_blob_reasons_match_git_objects(repo_series: RepoSeries) -> None:
    """A pre-image blob is the same object as an earlier commit's blob of that path."""
    patches = repo_series.patches()
    expected = set()
    for q, files in patches:
        for fd in files:
            if fd.status == "added" or fd.old_blob is None:
                continue
            pre = _blob(repo_series, q - 1, fd.old_path)
            producers = [
                p
                for p, _ in patches[: q - 1]
                if fd.old_path in _touched(repo_series, p)
                and _blob(repo_series, p, fd.old_path) == pre
            ]
            if producers:
                expected.add((q, max(producers), fd.old_path))
    assert expected

    assert blob_pairs(dependencies(patches)) == expected


def test_repo_series_without_patch_three(repo_series: RepoSeries) -> None:
    """Dropping 3: patch 4 still fits and still leans on 1's lines, but no blob matches."""
    patches = repo_series.patches()
    assert _blob(repo_series, 3, "mm/alpha.c") != _blob(repo_series, 2, "mm/alpha.c")
    whole = {(d.patch, d.depends_on): d for d in dependencies(patches)}

    found = {(d.patch, d.depends_on): d for d in dependencies([*patches[:2], patches[3]])}

    assert (4, 3) in whole and not any(key[0] == 4 and key[1] != 1 for key in found)
    assert {r.kind for r in found[(4, 1)].reasons} == {"context"}
    assert found[(4, 1)].reasons == whole[(4, 1)].reasons


def _blob(series: RepoSeries, commit: int, path: str) -> str:
    return git(series.repo, "rev-parse", f"{series.commits[commit]}:{path}").strip()


def _touched(series: RepoSeries, commit: int) -> set[str]:
    out = git(
        series.repo, "diff", "--name-only", "-M", series.commits[commit - 1], series.commits[commit]
    )
    return set(out.split())


def test_copied_file_keeps_the_provenance_of_its_lines(tmp_path: Path) -> None:
    """A copy of a file, then an edit of a copied line patch 1 added: 3 needs 1."""
    source = c_file("src", 4)
    grown = source + "int src_extra(void)\n{\n\treturn 7;\n}\n"
    steps: list[Tree] = [
        {"mm/src.c": grown},
        {"mm/dup.c": grown},
        {"mm/dup.c": grown.replace("return 7;", "return 8;")},
    ]
    series = build_repo_series(tmp_path, {"mm/src.c": source}, steps, copies=True)
    patches = series.patches()
    assert [fd.status for fd in patches[1][1]] == ["copied"]
    expected = blamed_lines(series, patches)
    assert (3, "mm/dup.c", "removed", 23, 1) in expected  # "\treturn 7;"

    assert line_reasons(dependencies(patches)) == expected
