"""The report's escaping: a string from mail, however hostile, stays text.

The toy thread's series is given hostile strings wherever the page prints one from a
mail (title, subject, people, ids, paths, trailers, findings, entities, the baseline's
reason). The same page is rendered once with plain placeholders in those places: the
hostile page must hold exactly the same tags and attributes, and its text and attribute
values must read back as the placeholder page's with each placeholder replaced by its
string, as a browser's parser reads them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from patchscope.findings import Finding
from patchscope.ingest.mail import Person
from patchscope.ingest.series import GivenTrailer
from patchscope.ingest.trailers import Trailer
from patchscope.pipeline import load_series
from patchscope.report.content import Content
from patchscope.report.html import render
from patchscope.report.tables import csv_bytes, neutralise, table
from patchscope.verify import Verified, verify
from tests.fuzz.strategies import FIXTURES, FUZZ, hostile_strings
from tests.report.test_report import Page

SLOTS = 25
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


@pytest.fixture(scope="module")
def toy() -> Verified:
    return verify(load_series(str(FIXTURES / "sources" / "thread.mbox")))


def _content(verified: Verified, s: Sequence[str]) -> Content:
    """The toy series with every string the page prints from mail taken from `s`."""
    person = Person(s[5], s[6])
    given_in_reply = GivenTrailer(Trailer(s[8], s[9], person), s[10])
    patch = replace(
        verified.series.patches[0],
        subject=replace(verified.series.patches[0].subject, title=s[4]),
        author=person,
        message_id=s[7],
        trailers=(given_in_reply,),
        computed=replace(verified.series.patches[0].computed, per_file={s[11]: 2}),
    )
    series = replace(
        verified.series, title=s[0], name=s[1], message_id=s[2], prefixes=(s[3],), patches=(patch,)
    )
    finding = Finding(s[12], "error", s[13], patch=1, file=s[14], entity=s[15], evidence=(s[16],))
    entity: dict[str, str | int] = {
        "patch": 1,
        "kind": s[17],
        "name": s[18],
        "file": s[19],
        "line": 3,
        "change": s[20],
        "detail": s[21],
        "area": s[22],
        "guard": s[23],
    }
    return Content(
        verified=replace(verified, series=series, findings=(finding,)),
        findings=(finding,),
        entities=(entity,),
        model=None,
        previous=None,
        rangediff=None,
        muted={finding.fingerprint: s[24]},
    )


def _read(content: Content) -> Page:
    return Page(render(content, Markup(""), {"mm": "#ffffff"}))


# A few hostile strings spread over every slot, each made unique by its slot number after
# it (two equal authors or trailers would be shown once): cheaper than drawing 25.
_slots = st.lists(hostile_strings, min_size=1, max_size=6).map(
    lambda pool: [f"{pool[i % len(pool)]}{i}" for i in range(SLOTS)]
)


@FUZZ
@given(strings=_slots)
def test_hostile_strings_stay_text(toy: Verified, strings: list[str]) -> None:
    placeholders = [f"\ue000{i}\ue001" for i in range(SLOTS)]
    plain_content, hostile_content = _content(toy, placeholders), _content(toy, strings)
    plain, hostile = _read(plain_content), _read(hostile_content)
    # the finding's anchor is its fingerprint, a hash of the strings: it changes with them
    fingerprints = {plain_content.findings[0].fingerprint: hostile_content.findings[0].fingerprint}
    pattern = re.compile("|".join([_PLACEHOLDER.pattern, *fingerprints]))

    def expected(text: str | None) -> str | None:
        if text is None:
            return None
        return pattern.sub(lambda m: strings[int(m[1])] if m[1] else fingerprints[m[0]], text)

    assert [(tag, list(attrs)) for tag, attrs in hostile.tags] == [
        (tag, list(attrs)) for tag, attrs in plain.tags
    ]
    for (_, hostile_attrs), (_, plain_attrs) in zip(hostile.tags, plain.tags, strict=True):
        assert list(hostile_attrs.values()) == [expected(v) for v in plain_attrs.values()]
    assert "".join(hostile.text) == expected("".join(plain.text))


@FUZZ
@given(text=hostile_strings | st.text())
def test_csv_cells_never_start_a_formula(text: str) -> None:
    """A text cell written as the report writes its tables reads back as one cell of one
    row: the text (CRs as LFs), or the same behind one "'" when it could start a formula."""
    written = csv_bytes(table([{"cell": text}], ("cell",))).decode()
    header, *rows = csv.reader(io.StringIO(written, newline=""))
    assert header == ["cell"]
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    (cell,) = rows[0]
    assert not cell.startswith(FORMULA_START)
    plain = text.replace("\r\n", "\n").replace("\r", "\n")
    assert cell in (plain, "'" + plain) and (cell == plain) == (text == neutralise(text))
