"""The HTML report in a real chromium: loads clean, draws the graph, one row per patch, escapes.

Reports are written by the CLI into tmp_path; the expected patch counts are read off
the mbox with the standard library, not off the report.
"""

from __future__ import annotations

import mailbox
import re
from pathlib import Path

import pytest

from patchscope.cli import main as patchscope
from tests.browser.harness import NEEDS_CHROMIUM, Opener, open_every_details
from tests.conftest import REFERENCE_MBOX, git

pytestmark = NEEDS_CHROMIUM

SCRIPT_SUBJECT = "<script>window.__pwned=1</script>"
IMG_SUBJECT = '"><img src=x onerror="window.__pwned=1">'
SVG_TITLE = "<svg onload=window.__pwned=1>"
EVIL_FILE = "mm/evil<b>.c"
NUMBERED = re.compile(r"^\[[^\]]*?\b(\d+)/(\d+)\]")


def patches_in_mbox(mbox: Path) -> int:
    """How many patches N/M the thread's subjects number (replies and the cover 0/M left out)."""
    numbers: set[int] = set()
    totals: set[int] = set()
    for message in mailbox.mbox(mbox):
        subject = " ".join(str(message["Subject"]).split())
        found = NUMBERED.match(subject)
        if found and int(found[1]) > 0:
            numbers.add(int(found[1]))
            totals.add(int(found[2]))
    assert totals == {len(numbers)}, f"{mbox}: patches {sorted(numbers)} of {sorted(totals)}"
    return len(numbers)


def write_report(source: Path, out: Path) -> Path:
    """`patchscope report SOURCE -o OUT --offline`, as a reviewer runs it; the page it wrote."""
    assert patchscope(["report", str(source), "-o", str(out), "--offline"]) == 0
    return out / "index.html"


def _hostile_series(where: Path) -> Path:
    """Two real git commits whose subjects, cover and file name are HTML; their mails as an mbox."""
    repo = where / "repo"
    (repo / "mm").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "mm" / "Makefile").write_text("obj-y += evil.o\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    evil = repo / EVIL_FILE
    bodies = [
        'static const char *evil = "</td></tr></table><script>window.__pwned=1</script>";\n',
        "int evil_count(void)\n{\n\treturn 1;\n}\n",
    ]
    for subject, body in zip([SCRIPT_SUBJECT, IMG_SUBJECT], bodies, strict=True):
        with evil.open("a") as c_file:
            c_file.write(body)
        git(repo, "add", "-A")
        message = f"{subject}\n\nWhy: {subject}.\n\nSigned-off-by: Ada Hacker <ada@example.org>"
        git(repo, "commit", "-q", "-m", message)
    out = where / "outgoing"
    git(repo, "format-patch", "-q", "--cover-letter", "-o", str(out), "HEAD~2..HEAD")
    cover = next(out.glob("0000-*"))
    text = cover.read_text().replace("*** SUBJECT HERE ***", SVG_TITLE)
    cover.write_text(text.replace("*** BLURB HERE ***", f"Blurb: {SCRIPT_SUBJECT}"))
    mbox = where / "hostile.mbox"
    mbox.write_text("".join(p.read_text() for p in sorted(out.glob("*.patch"))))
    return mbox


@pytest.fixture(scope="module")
def reference_report(reference_written: tuple[Path, int, str]) -> Path:
    return reference_written[0] / "index.html"


@pytest.fixture(scope="module")
def hostile_mbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _hostile_series(tmp_path_factory.mktemp("hostile"))


def test_reference_report_loads_clean_with_graph_and_rows(
    open_page: Opener, reference_report: Path, tmp_path: Path
) -> None:
    page, log = open_page(reference_report)
    graph = page.locator("#graph svg").first
    assert not graph.is_visible(), "the whole graph waits behind its summary"
    page.locator("#graph-section > summary").click()
    assert graph.is_visible(), "the graph's <svg> is missing or hidden"
    box = graph.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0, f"graph box {box}"
    rows = page.locator("#patches tr.patch").count()
    assert rows == patches_in_mbox(REFERENCE_MBOX) == 4
    shot = tmp_path / "reference-report.png"
    page.screenshot(path=shot, full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 0
    assert log.problems() == []


def test_hostile_strings_show_as_text(
    open_page: Opener, hostile_mbox: Path, tmp_path: Path
) -> None:
    page, log = open_page(write_report(hostile_mbox, tmp_path / "report"))
    assert page.locator("#patches tr.patch").count() == patches_in_mbox(hostile_mbox) == 2
    assert page.evaluate("typeof window.__pwned") == "undefined", "a mail's markup ran as script"
    table = page.inner_text("#patches")
    for text in (SCRIPT_SUBJECT, IMG_SUBJECT):
        assert text in table, f"{text!r} not shown as text in the patch table"
    open_every_details(page)
    assert EVIL_FILE in page.inner_text("#patch-details"), "the file name not shown as text"
    assert SVG_TITLE in page.inner_text("body"), "the cover's title not shown as text"
    assert log.problems() == []
