"""The fuzz targets, one body each for the hypothesis tests here and the atheris runs in fuzz/.

Every target takes any input and either returns or fails: a PatchscopeError whose
message is one line is a clean refusal, any other exception or a failed assertion is
a bug (hypothesis shrinks the input, atheris writes it to a crash file).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TypeVar

from markupsafe import Markup

from patchscope.batch.analyse import analyse
from patchscope.batch.discover import discover
from patchscope.batch.outputs import write_outputs
from patchscope.code.facts import patch_facts
from patchscope.diff.compose import Composed, compose
from patchscope.diff.deps import dependencies
from patchscope.diff.lineage import replay
from patchscope.diff.parse import parse_diff
from patchscope.errors import PatchscopeError
from patchscope.findings import Finding
from patchscope.ingest.mail import Person
from patchscope.ingest.series import GivenTrailer
from patchscope.ingest.trailers import Trailer
from patchscope.pipeline import load_series
from patchscope.report.content import Content
from patchscope.report.html import render
from patchscope.report.tables import csv_bytes, neutralise, table
from patchscope.verify import Verified, verify
from tests.conftest import ROOT
from tests.report.test_report import Page

T = TypeVar("T")
TOY_THREAD = ROOT / "tests" / "fixtures" / "sources" / "thread.mbox"
SLOTS = 25  # the strings report_target places; fewer given are repeated
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


def value_or_clean_error(call: Callable[[], T]) -> T | None:
    """What `call` returns, or None when it refused the input as the CLI can print it."""
    try:
        return call()
    except PatchscopeError as exc:
        message = str(exc)
        assert message.strip(), f"{type(exc).__name__} with an empty message"
        assert len(message.splitlines()) == 1, f"not one line: {message!r}"
        return None


def load_target(source: Path, data: bytes) -> None:
    """The loader as the CLI calls it, on `data` written to `source`."""
    source.write_bytes(data)
    series = value_or_clean_error(lambda: load_series(str(source), offline=True))
    if series is not None:
        numbers = [p.number for p in series.patches]
        assert numbers and numbers == sorted(set(numbers)), numbers
    assert source.read_bytes() == data  # the user's file is never touched


def batch_target(folder: Path, data: bytes) -> None:
    """`batch` on `data` as one mbox: each mail in one series at most, each series analysed or
    failed with one line (never an internal error), reposts naming only other series, and
    the database and index written."""
    source = folder / "input.mbox"
    source.write_bytes(data)
    found = discover([str(source)], offline=True)
    keys = [t.key for t in found.tasks]
    ids = [m.message_id for t in found.tasks for m in t.mails]
    assert len(set(keys)) == len(keys) and len(set(ids)) == len(ids)
    results = [analyse(task) for task in found.tasks]
    for r in results:
        assert r.error is None or not r.error.startswith("internal error"), r.error
        assert set(r.reposts) <= set(keys) - {r.key}
    write_outputs(results, folder / "out")


def compose_target(diffs: Sequence[bytes]) -> None:
    """The diffs as patches 1, 2, ...: parsed, replayed, dependencies, git's composed count."""
    patches = [
        (number, parse_diff(diff.decode("utf-8", "replace")).files)
        for number, diff in enumerate(diffs, start=1)
    ]

    def composed() -> Composed:
        replayed = replay(patches)
        dependencies(patches, replayed)
        return compose(patches, replayed)

    result = value_or_clean_error(composed)
    if result is not None:
        named = {path for _, files in patches for f in files for path in (f.path, f.old_path)}
        assert set(result.diffstat.per_file) <= named


def facts_target(diff: bytes) -> None:
    """The code facts of one patch carrying `diff`."""
    files = parse_diff(diff.decode("utf-8", "replace")).files
    facts = value_or_clean_error(lambda: patch_facts(1, files))
    if facts is not None:
        named = {path for f in files for path in (f.path, f.old_path)}
        images = (facts.before, facts.after)
        assert {d.file for image in images for d in image.definitions} <= named
        assert {r.file for image in images for r in image.references} <= named


@cache
def toy() -> Verified:
    return verify(load_series(str(TOY_THREAD), offline=True))


def slots(strings: Sequence[str]) -> list[str]:
    """SLOTS strings from a few, each ending in its slot number: never empty (the page
    leaves an empty value out) and never equal (two equal authors are shown once)."""
    pool = list(strings) or [""]
    return [f"{pool[i % len(pool)]}{i}" for i in range(SLOTS)]


def hostile_content(verified: Verified, s: Sequence[str]) -> Content:
    """The series with every string the page prints from mail taken from `s`: title,
    subject, people, ids, paths, trailers, a finding, an entity, the baseline's reason."""
    person = Person(s[5], s[6])
    given_in_reply = GivenTrailer(Trailer(s[8], s[9], person), s[10])
    first = verified.series.patches[0]
    patch = replace(
        first,
        subject=replace(first.subject, title=s[4]),
        author=person,
        message_id=s[7],
        trailers=(given_in_reply,),
        computed=replace(first.computed, per_file={s[11]: 2}),
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


def report_target(strings: Sequence[str]) -> None:
    """The toy series' page with `strings` (SLOTS of them) where it prints mail's strings,
    against the same page with plain placeholders there: the same tags and attributes,
    and text and attribute values that read back as the placeholder page's with each
    placeholder replaced by its string, as a browser's parser reads them."""
    placeholders = [f"\ue000{i}\ue001" for i in range(SLOTS)]
    plain_content = hostile_content(toy(), placeholders)
    hostile = hostile_content(toy(), strings)
    plain_page, hostile_page = _read(plain_content), _read(hostile)
    # the finding's anchor is its fingerprint, a hash of the strings: it changes with them
    fingerprints = {plain_content.findings[0].fingerprint: hostile.findings[0].fingerprint}
    pattern = re.compile("|".join([_PLACEHOLDER.pattern, *fingerprints]))

    def expected(text: str | None) -> str | None:
        if text is None:
            return None
        return pattern.sub(lambda m: strings[int(m[1])] if m[1] else fingerprints[m[0]], text)

    shape = [(tag, list(attrs)) for tag, attrs in hostile_page.tags]
    assert shape == [(tag, list(attrs)) for tag, attrs in plain_page.tags]
    for (_, got), (_, plain) in zip(hostile_page.tags, plain_page.tags, strict=True):
        assert list(got.values()) == [expected(v) for v in plain.values()]
    assert "".join(hostile_page.text) == expected("".join(plain_page.text))


def csv_target(text: str) -> None:
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
