"""The report of tests/hostile/markup.py's thread of attacks in a real chromium: nothing runs,
nothing is fetched, every attack shows as text, and hovering or clicking runs nothing."""

from __future__ import annotations

from pathlib import Path

from patchscope.cli import main as patchscope
from tests.browser.harness import NEEDS_CHROMIUM, Opener, open_every_details
from tests.hostile import markup

pytestmark = NEEDS_CHROMIUM


def test_attacks_neither_run_nor_fetch(open_page: Opener, tmp_path: Path) -> None:
    mbox = markup.hostile_thread(tmp_path)
    assert patchscope(["report", str(mbox), "-o", str(tmp_path / "out"), "--offline"]) == 0
    page, log = open_page(tmp_path / "out" / "index.html")
    open_every_details(page)  # what the first screen leaves closed is one click away
    for row in page.locator("#patches tr.patch").all():
        row.hover()  # an injected onmouseover would run now
    for link in page.locator("a").all():
        link.click()  # a javascript: link would run now
    assert page.evaluate("typeof window.__pwned") == "undefined", "a mail's markup ran"
    body = page.inner_text("body")
    for text in (markup.SCRIPT, markup.CSS, markup.SVG_FILE, markup.FORMULAS[0]):
        assert text in body, f"{text!r} not shown as text"
    assert log.problems() == []  # url(http://evil.example/...) would be a request here
