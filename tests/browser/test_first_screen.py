"""The page a reviewer reads in a minute, measured in chromium at its default font size.

At 1400 x 1000 the first screen holds, for every patch, its diffstats, the summary of its
behaviour and its finding counts; with every <details> closed the page stays short, every
error and warning still shows its title, nothing is cut off by overflow or max-height, and
a summary opens its details without any script. Measured on the reference series, on
a series of the corpus the layout was not built on (three patches, no model), and on eight
patches with long subjects. Expected
counts come from the mbox (patch numbers) and findings.csv, read with the stdlib.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize

from tests.browser.harness import NEEDS_CHROMIUM, Opener, open_every_details
from tests.browser.test_report_browser import patches_in_mbox, write_report
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, SHARED, git

pytestmark = NEEDS_CHROMIUM

SCREEN: ViewportSize = {"width": 1400, "height": 1000}
TALLEST = 8000  # pixels, every <details> closed
OTHER = SHARED / "corpus" / "arm64-vmemmap-altmap-v4.mbox"  # 3 patches, arch and mm, no model
SERIES = {"reference": (REFERENCE_MANIFEST, REFERENCE_MBOX), "arm64-altmap": (OTHER, OTHER)}
LONGEST = 8  # patches whose every answer the first screen holds

# Every element whose box hides part of what it holds: overflow other than visible, or a
# max-height, with more content than room. Read in the page, not by the page (no script).
CLIPPED = """() => [...document.body.querySelectorAll('*')].filter(e => {
  const s = getComputedStyle(e);
  const hides = ['hidden', 'clip', 'auto', 'scroll'];
  const clips = hides.includes(s.overflowX) || hides.includes(s.overflowY)
    || s.maxHeight !== 'none';
  return clips && (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1);
}).map(e => e.tagName + '#' + e.id + '.' + e.className)"""


def _eight_patches(where: Path) -> Path:
    """LONGEST commits with subjects as long as mails carry, each touching arch, mm and
    include, sent with git format-patch: the tallest rows a series of that length gets."""
    repo = where / "repo"
    for folder in ("arch/x86/mm", "mm", "include/linux"):
        (repo / folder).mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "base")
    for n in range(1, LONGEST + 1):
        for path in ("arch/x86/mm/init_64.c", "mm/memory_hotplug.c", "include/linux/mm.h"):
            with (repo / path).open("a") as source:
                source.write(f"int step_{n}_of_{path.count('/')}(void)\n{{\n\treturn {n};\n}}\n")
        subject = (
            f"mm/memory_hotplug: step {n} of a series whose subjects run as long as a mail allows"
        )
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"{subject}\n\nWhy.\n\nSigned-off-by: A <a@example.org>")
    out = where / "outgoing"
    git(repo, "format-patch", "-q", "--cover-letter", "-o", str(out), f"HEAD~{LONGEST}..HEAD")
    mbox = where / "eight.mbox"
    mbox.write_text("".join(p.read_text() for p in sorted(out.glob("*.patch"))))
    return mbox


@pytest.fixture(scope="module", params=[*sorted(SERIES), "eight-patches"])
def case(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """(the report's index.html, the mbox of its series)."""
    if request.param == "reference":  # written once for every test that reads it
        return request.getfixturevalue("reference_written")[0] / "index.html", REFERENCE_MBOX
    where = tmp_path_factory.mktemp(request.param)
    if request.param == "eight-patches":
        source = mbox = _eight_patches(where)
    else:
        source, mbox = SERIES[request.param]
    return write_report(source, where / "report"), mbox


@pytest.fixture
def report(case: tuple[Path, Path]) -> Path:
    return case[0]


@pytest.fixture
def page(open_page: Opener, report: Path) -> Page:
    opened, log = open_page(report)
    opened.set_viewport_size(SCREEN)
    assert log.problems() == []
    return opened


def _findings(report: Path) -> list[dict[str, str]]:
    with (report.parent / "findings.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_closed_page_is_short(page: Page) -> None:
    assert page.evaluate("document.querySelectorAll('details[open]').length") == 0
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"page height with everything closed: {height} px")
    assert height <= TALLEST


def test_first_screen_answers_for_every_patch(page: Page, case: tuple[Path, Path]) -> None:
    rows = page.locator("#patches tr.patch")
    assert rows.count() == patches_in_mbox(case[1])
    for row in rows.all():
        for cell in ("td.diffstat", "td.does > *:not(details)", "td.counts"):
            for part in row.locator(cell).all():
                box = part.bounding_box()
                assert box is not None and box["height"] > 0, cell
                assert box["y"] + box["height"] <= SCREEN["height"], (cell, box)


def test_every_error_and_warning_shows_its_title(page: Page, report: Path) -> None:
    expected = [f for f in _findings(report) if f["severity"] in ("error", "warning")]
    titles = page.locator("details.finding.error > summary, details.finding.warning > summary")
    assert titles.count() == len(expected)
    for title in titles.all():
        assert title.is_visible()
    shown = sorted(t.inner_text() for t in titles.all())
    for finding in expected:
        assert any(finding["message"] in text for text in shown), finding["message"]


def test_nothing_is_clipped_closed_or_open(page: Page) -> None:
    assert page.evaluate(CLIPPED) == []
    open_every_details(page)
    assert page.evaluate(CLIPPED) == []


def test_details_open_without_script(page: Page) -> None:
    assert page.locator("script").count() == 0
    csp = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert csp is not None and "script-src" not in csp and "default-src 'none'" in csp
    first = page.locator("details.patch-more").first
    files = first.locator("ul.mono").first
    assert not files.is_visible()
    first.locator("> summary").click()
    assert files.is_visible() and first.get_attribute("open") is not None


def test_the_clipping_probe_sees_a_clip(open_page: Opener, tmp_path: Path) -> None:
    """The probe itself: a box too small for its text is caught, one that fits is not."""
    html = tmp_path / "clip.html"
    text = "word " * 200
    html.write_text(
        "<!doctype html><html><body>"
        f'<div id="cut" style="max-height: 2em">{text}</div>'
        f'<div id="hidden" style="overflow: hidden; height: 1em">{text}</div>'
        f'<div id="fits" style="max-height: 90em">{text}</div></body></html>'
    )
    clipped, _ = open_page(html)
    assert [name.split(".")[0] for name in clipped.evaluate(CLIPPED)] == ["DIV#cut", "DIV#hidden"]
