"""Mail forms real archives hold, as `stat` reads them: header values past their types'
limits, Mercurial's patchbomb subjects, an unnumbered diff answering the cover, a version on
the cover only, and the same series posted twice. The fixtures under
tests/fixtures/mail/forms/ were written for these tests; each case has a perturbed twin."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from patchscope.cli import main
from patchscope.ingest.mail import parse_mail
from patchscope.ingest.subject import parse_subject
from tests.conftest import ROOT

FORMS = ROOT / "tests" / "fixtures" / "mail" / "forms"


def stat(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict[str, Any]]:
    code = main(["stat", "--json", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out)


def edited(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    """The fixture with each (old, new) replaced, every old one present."""
    text = (FORMS / name).read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def rules(doc: dict[str, Any], rule: str) -> list[str]:
    return [f["message"] for f in doc["findings"] if f["rule"] == rule]


# --- header values at and past their types' limits -------------------------------------

_TOY = "From: Kim <kim@example.org>\nSubject: [PATCH] toy\nMessage-Id: <d@example.org>\n"


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        # the last second a datetime holds, and one minute west of it (10000-01-01 in UTC)
        ("Fri, 31 Dec 9999 23:59:59 +0000", "9999-12-31T23:59:59Z"),
        ("Fri, 31 Dec 9999 23:59:59 -0001", None),
        # the widest offset a datetime takes is under a day; +2359 moves 23 h 59 min back
        ("Mon, 04 Mar 2024 09:00:01 +2359", "2024-03-03T09:01:01Z"),
        ("Mon, 04 Mar 2024 09:00:01 +9999999999", None),
        ("Mon, 04 Mar 99999 09:00:00 +0000", None),
        ("Mon, 99999999999 Mar 2024 09:00:00 +0000", None),
        ("Mon, 04 Mar 2024 99999999999:00:00 +0000", None),
        ("the day after tomorrow", None),
    ],
)
def test_a_date_past_what_a_datetime_holds_is_absent(value: str, iso: str | None) -> None:
    mail = parse_mail(f"{_TOY}Date: {value}\n\nbody\n".encode(), "x.eml")
    assert mail.date == (iso or "")
    assert [u.header for u in mail.unreadable] == ([] if iso else ["Date"])


def test_an_id_header_holding_no_id_is_absent() -> None:
    raw = "From: Kim <kim@example.org>\nSubject: x\nMessage-Id: <>\nIn-Reply-To: < >\n\nbody\n"
    mail = parse_mail(raw.encode(), "x.eml")
    assert mail.message_id.startswith("patchscope-") and mail.in_reply_to is None
    assert [u.header for u in mail.unreadable] == ["Message-ID", "In-Reply-To"]


@pytest.mark.parametrize(
    ("word", "number", "total", "version"),
    [
        ("9223372036854775807/9223372036854775807", 2**63 - 1, 2**63 - 1, 1),
        ("1/9223372036854775808", None, None, 1),
        ("v9223372036854775807", None, None, 2**63 - 1),
        ("v9223372036854775808", None, None, 1),
        ("v" + "9" * 5000, None, None, 1),  # int() refuses more than 4300 digits
    ],
)
def test_a_count_past_a_64_bit_integer_is_not_given(
    word: str, number: int | None, total: int | None, version: int
) -> None:
    subject = parse_subject(f"[PATCH {word}] toy")
    assert (subject.number, subject.total, subject.version) == (number, total, version)
    fits = number is not None or version != 1
    assert subject.unreadable == (() if fits else (word,))


def test_every_unreadable_header_is_an_info_finding_naming_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc = stat(capsys, FORMS / "header-limits.mbox")
    assert code == 0
    assert [p["message_id"] for p in doc["patches"]] == [
        "limits-1@example.org",
        "limits-2@example.org",
    ]
    assert [p["date"] for p in doc["patches"]] == ["", ""]
    reply = doc["replies"][0]["message_id"]  # its Message-ID is "<>": a made-up one
    named = {(f["message"].split(" of ")[0], f["message"].split(" of ")[1].split(":")[0])
             for f in doc["findings"] if f["rule"] == "unreadable-header"}  # fmt: skip
    assert {f["severity"] for f in doc["findings"] if f["rule"] == "unreadable-header"} == {"info"}
    assert named == {
        ("Date", "limits-0@example.org"),  # year 99999
        ("Date", "limits-1@example.org"),  # offset +9999999999
        ("Date", "limits-2@example.org"),  # day 99999999999
        ("Content-Type charset", "limits-2@example.org"),  # x-no-such-charset
        ("Date", reply),  # 9999-12-31 23:59:59 -0001
        ("From", reply),  # =?x-klingon?...?=
        ("Message-ID", reply),  # <>
        ("Subject", reply),  # 1/99999999999999999999
    }


def test_the_same_headers_in_range_give_no_finding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = edited(
        tmp_path,
        "header-limits.mbox",
        ("Mar 99999 09:00:00", "Mar 2024 09:00:00"),
        ("09:00:01 +9999999999", "09:00:01 +0100"),
        ("99999999999 Mar", "04 Mar"),
        ("x-no-such-charset", "utf-8"),
        ("9999 23:59:59 -0001", "2024 23:59:59 -0001"),
        ("x-klingon", "iso-8859-1"),
        ("Message-Id: <>", "Message-Id: <limits-r@example.org>"),
        ("1/99999999999999999999", "1/2"),
    )
    code, doc = stat(capsys, path)
    assert code == 0
    assert rules(doc, "unreadable-header") == []
    assert [p["date"] for p in doc["patches"]] == ["2024-03-04T08:00:01Z", "2024-03-04T09:00:02Z"]
    assert doc["replies"][0]["message_id"] == "limits-r@example.org"


# --- Mercurial's patchbomb: [PATCH 1 of 2] ---------------------------------------------


@pytest.mark.parametrize(
    ("raw", "number", "total"),
    [("[PATCH 0 of 2] x", 0, 2), ("[PATCH 10 OF 12] x", 10, 12), ("[PATCH v2 3  of 4] x", 3, 4)],
)
def test_n_of_m_is_n_slash_m(raw: str, number: int, total: int) -> None:
    subject = parse_subject(raw)
    assert (subject.number, subject.total, subject.title) == (number, total, "x")


def test_a_patchbomb_is_a_cover_and_its_patches(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = stat(capsys, FORMS / "hg-patchbomb.mbox")
    assert code == 0
    assert doc["cover"]["message_id"] == "patchbomb.0@example.org"
    assert [(p["number"], p["total"], p["subject"]) for p in doc["patches"]] == [
        (1, 2, "toy: add one"),
        (2, 2, "toy: add two"),
    ]
    assert rules(doc, "incomplete-series") == []


def test_a_patchbomb_short_of_its_total_is_incomplete(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = edited(tmp_path, "hg-patchbomb.mbox", ("2 of 2]", "2 of 3]"), ("1 of 2]", "1 of 3]"))
    _, doc = stat(capsys, path)
    assert rules(doc, "incomplete-series") == ["incomplete series: 3/3 missing"]


# --- an unnumbered diff answering the cover --------------------------------------------


def test_an_unnumbered_diff_answering_the_cover_follows_the_numbered_patches(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, doc = stat(capsys, FORMS / "cover-reply-diff.mbox")
    # the mbox holds 1/2, "[PATCH] toy: add three", 2/2, then "toy: add four"
    assert [(p["number"], p["subject"]) for p in doc["patches"]] == [
        (1, "toy: add one"),
        (2, "toy: add two"),
        (3, "toy: add three"),
        (4, "toy: add four"),
    ]
    assert [f["patch"] for f in doc["findings"] if f["rule"] == "unnumbered-patch"] == [3, 4]


def test_a_reviewers_unnumbered_diff_is_not_the_series(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    three = "From: Kim Writer <kim@example.org>\nSubject: [PATCH] toy: add three"
    path = edited(
        tmp_path,
        "cover-reply-diff.mbox",
        (three, three.replace("Kim Writer <kim@", "Lee Tester <lee@")),
    )
    _, doc = stat(capsys, path)
    assert [p["subject"] for p in doc["patches"]] == [
        "toy: add one",
        "toy: add two",
        "toy: add four",
    ]
    (other,) = rules(doc, "other-series")
    assert other.startswith("extra-3@example.org from lee@example.org is another series")


# --- the version on the cover only -----------------------------------------------------


def test_patches_threaded_to_a_cover_take_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = stat(capsys, FORMS / "cover-version-only.mbox")
    assert code == 0
    assert (doc["series"]["version"], doc["cover"]["message_id"]) == (3, "v3-0@example.org")
    assert [p["message_id"] for p in doc["patches"]] == ["v3-1@example.org", "v3-2@example.org"]
    assert rules(doc, "mixed-versions") == []
    # the tester answered the cover: the trailer reaches both patches
    assert [[t["name"] for t in p["trailers"]] for p in doc["patches"]] == [["Tested-by"]] * 2


def test_a_cover_received_after_its_patches_still_leads_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    messages = re.split(r"(?m)^(?=From mboxrd@z)", (FORMS / "cover-version-only.mbox").read_text())
    path = tmp_path / "reversed.mbox"
    path.write_text("".join(reversed(messages)))
    _, doc = stat(capsys, path)
    assert (doc["series"]["version"], doc["cover"]["message_id"]) == (3, "v3-0@example.org")
    assert [p["message_id"] for p in doc["patches"]] == ["v3-1@example.org", "v3-2@example.org"]


def test_patches_not_threaded_to_the_v3_cover_stay_v1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    links = "In-Reply-To: <v3-0@example.org>\nReferences: <v3-0@example.org>\n"
    text = (FORMS / "cover-version-only.mbox").read_text()
    patches_only = text.replace(links, "", 2)  # the two patches; the reply keeps its link
    path = tmp_path / "unthreaded.mbox"
    path.write_text(patches_only)
    _, doc = stat(capsys, path)
    assert (doc["series"]["version"], doc["cover"]) == (1, None)
    assert len(doc["patches"]) == 2


# --- the same series posted twice ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "first", "again"),
    [("repost-in-reply.mbox", "first", "again"), ("repost-new-thread.mbox", "early", "later")],
)
def test_stat_analyses_the_latest_posting_and_names_the_other(
    capsys: pytest.CaptureFixture[str], name: str, first: str, again: str
) -> None:
    _, doc = stat(capsys, FORMS / name)
    assert doc["cover"]["message_id"] == f"{again}-0@example.org"
    assert [p["message_id"] for p in doc["patches"]] == [
        f"{again}-1@example.org",
        f"{again}-2@example.org",
    ]
    (warning,) = rules(doc, "reposted")
    assert f"{first}-0@example.org" in warning and warning.count("@example.org") == 2


def test_the_date_not_the_mbox_order_says_which_is_latest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # the second posting in the mbox dated before the first: the first is the latest
    path = edited(tmp_path, "repost-new-thread.mbox", (" 09:05:", " 08:55:"))
    _, doc = stat(capsys, path)
    assert doc["cover"]["message_id"] == "early-0@example.org"
    assert "later-0@example.org" in rules(doc, "reposted")[0]


_EARLY_COVER_DATE = "Date: Mon, 04 Mar 2024 09:00:00"


@pytest.mark.parametrize(
    "edits",
    [
        [(" 09:05:", " 09:00:")],  # equal dates
        # the later posting dated first, but the other's date unreadable: dates cannot tell
        [(" 09:05:", " 08:55:"), (_EARLY_COVER_DATE, "Date: Mon, 04 Mar 99999 09:00:00")],
        [(" 09:05:", " 08:55:"), (_EARLY_COVER_DATE + " +0000\n", "")],  # or missing
    ],
)
def test_without_telling_dates_the_mbox_order_decides(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, edits: list[tuple[str, str]]
) -> None:
    _, doc = stat(capsys, edited(tmp_path, "repost-new-thread.mbox", *edits))
    assert doc["cover"]["message_id"] == "later-0@example.org"
