"""Quoted commit ids against the history of the tree."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from patchscope.code.commits import check_commit_refs
from patchscope.code.tree import open_tree
from patchscope.ingest.series import Series
from patchscope.ingest.trailers import CommitRef
from patchscope.pipeline import load_series
from tests.code.treeseries import UNKNOWN_SHA, TreeSeries, make_tree_series
from tests.conftest import git


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> TreeSeries:
    return make_tree_series(tmp_path_factory.mktemp("commits"))


@pytest.fixture(scope="module")
def series(made: TreeSeries) -> Series:
    return load_series(str(made.mbox))


def test_unknown_id_and_wrong_title_are_reported(made: TreeSeries, series: Series) -> None:
    findings = check_commit_refs(series, open_tree(f"git:{made.repo}@main"))
    arm64_title = git(made.repo, "log", "-1", "--format=%s", made.arm64_sha).strip()
    assert {(f.rule, f.severity, f.patch, f.entity) for f in findings} == {
        ("commit-ref", "warning", 1, UNKNOWN_SHA),
        ("commit-ref", "warning", 1, made.arm64_sha[:12]),
    }
    wrong = next(f for f in findings if f.entity == made.arm64_sha[:12])
    # names both titles; the quoted one was wrapped over two lines in the mail
    assert '"arm64: support memory hot-remove"' in wrong.message
    assert f'"{arm64_title}"' in wrong.message
    unknown = next(f for f in findings if f.entity == UNKNOWN_SHA)
    assert "unknown" in unknown.message and "a commit nobody made" in unknown.message


def test_a_right_quote_is_not_reported(made: TreeSeries, series: Series) -> None:
    quoted = {ref.sha for p in series.patches for ref in p.commit_refs}
    assert made.core_sha[:12] in quoted
    findings = check_commit_refs(series, open_tree(f"git:{made.repo}@main"))
    assert made.core_sha[:12] not in {f.entity for f in findings}


def test_the_cover_letter_counts_as_patch_zero(made: TreeSeries, series: Series) -> None:
    assert series.cover is not None
    title = git(made.repo, "log", "-1", "--format=%s", made.core_sha).strip()
    cover = dataclasses.replace(
        series.cover,
        commit_refs=(CommitRef(made.core_sha[:12], title), CommitRef("feedfacefeed", "gone")),
    )
    no_patches = dataclasses.replace(series, cover=cover, patches=())
    findings = check_commit_refs(no_patches, open_tree(f"git:{made.repo}@main"))
    assert [(f.patch, f.entity) for f in findings] == [(0, "feedfacefeed")]
    assert findings[0].message.startswith("the cover letter quotes")


def test_a_tree_without_history_checks_nothing(made: TreeSeries, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "MAINTAINERS").write_text("")
    series = load_series(str(made.mbox))
    assert check_commit_refs(series, open_tree(str(plain))) == ()
    # the same series against the checkout, which has its history, is checked
    assert len(check_commit_refs(series, open_tree(str(made.repo)))) == 2
