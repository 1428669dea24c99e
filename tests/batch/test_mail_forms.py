"""The mail forms of tests/fixtures/mail/forms/ through `patchscope batch`: every posting a series,
reposts linked in the database and the index, a cover's patches with the cover."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from patchscope.batch.analyse import analyse
from patchscope.batch.discover import discover
from patchscope.cli import main
from tests.batch.dump import rows
from tests.ingest.test_mail_forms import FORMS, edited


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One batch over every fixture (their titles differ: no posting is another's repost)."""
    folder = tmp_path_factory.mktemp("forms")
    out = folder / "out"
    assert main(["batch", str(FORMS), "-o", str(out)]) in (0, 1)
    return out


def series(out: Path, *keys: str) -> list[tuple[object, ...]]:
    query = "SELECT key, status, version, patches, reposts FROM series WHERE key = ?"
    return [row for key in keys for row in rows(out / "batch.sqlite", query, key)]


def analysed(path: Path) -> list[tuple[object, ...]]:
    """The series of one file as batch finds and analyses them, in this process."""
    results = [analyse(task) for task in discover([str(path)]).tasks]
    return [
        (r.key, r.status, r.version, len(r.patches), " ".join(r.reposts) or None) for r in results
    ]


def test_every_form_is_analysed_without_failure(out: Path) -> None:
    failed = rows(out / "batch.sqlite", "SELECT key, error FROM series WHERE status != 'ok'")
    assert failed == []
    infos = rows(
        out / "batch.sqlite", "SELECT infos FROM series WHERE key = 'limits-0@example.org'"
    )
    assert infos == [(8,)]  # header-limits.mbox: the eight values test_mail_forms names
    hg = series(out, "patchbomb.0@example.org")
    assert hg == [("patchbomb.0@example.org", "ok", 1, 2, None)]


@pytest.mark.parametrize(("first", "again"), [("first", "again"), ("early", "later")])
def test_each_posting_is_a_series_naming_the_other(out: Path, first: str, again: str) -> None:
    one, two = f"{again}-0@example.org", f"{first}-0@example.org"
    assert series(out, one, two) == [(one, "ok", 1, 2, two), (two, "ok", 1, 2, one)]
    table = list(csv.DictReader(io.StringIO((out / "index.csv").read_text())))
    assert {r["key"]: r["reposts"] for r in table if r["key"] in (one, two)} == {one: two, two: one}
    page = (out / "index.html").read_text()
    assert f'<td class="mono">{one}</td>' in page and f'<td class="mono">{two}</td>' in page


def test_a_second_posting_under_another_title_is_no_repost(tmp_path: Path) -> None:
    subject = "[PATCH 0/2] toy: posted twice in one thread"
    text = (FORMS / "repost-in-reply.mbox").read_text()
    cut = text.rindex(subject)  # the second posting's cover
    path = tmp_path / "renamed.mbox"
    path.write_text(text[:cut] + subject.replace("twice", "once more") + text[cut + len(subject) :])
    assert analysed(path) == [
        ("again-0@example.org", "ok", 1, 2, None),
        ("first-0@example.org", "ok", 1, 2, None),
    ]


def test_patches_threaded_to_a_v3_cover_are_its_series(out: Path) -> None:
    assert series(out, "v3-0@example.org") == [("v3-0@example.org", "ok", 3, 2, None)]
    assert rows(out / "batch.sqlite", "SELECT key FROM series WHERE key LIKE 'v3-%'") == [
        ("v3-0@example.org",)
    ]


def test_an_unnumbered_diff_answering_the_cover_is_a_patch_of_it(out: Path) -> None:
    assert series(out, "extra-0@example.org") == [("extra-0@example.org", "ok", 1, 4, None)]
    query = "SELECT number, message_id FROM patches WHERE series_key = ? ORDER BY number"
    assert rows(out / "batch.sqlite", query, "extra-0@example.org") == [
        (1, "extra-1@example.org"),
        (2, "extra-2@example.org"),
        (3, "extra-3@example.org"),
        (4, "extra-4@example.org"),
    ]


def test_a_reviewers_unnumbered_diff_is_a_series_of_its_own(tmp_path: Path) -> None:
    three = "From: Kim Writer <kim@example.org>\nSubject: [PATCH] toy: add three"
    path = edited(
        tmp_path, "cover-reply-diff.mbox", (three, three.replace("Kim Writer <kim@", "Lee <lee@"))
    )
    assert analysed(path) == [
        ("extra-0@example.org", "ok", 1, 3, None),
        ("extra-3@example.org", "ok", 1, 1, None),
    ]
