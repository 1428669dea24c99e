"""The report of a thread made of attacks: in the HTML nothing from a mail becomes markup,
an attribute, a link, a source or CSS; in every CSV no cell starts a formula."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from patchscope.report import pictures
from patchscope.report.tables import neutralise
from patchscope.report.write import FILES
from tests.hostile import markup

# The only elements the page may hold: those its template writes and the SVG cleaner keeps.
TEMPLATE = Path(pictures.__file__).parent / "templates" / "index.html.j2"
ELEMENTS = set(re.findall(r"<([a-z][a-z0-9]*)", TEMPLATE.read_text())) | pictures._ELEMENTS
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Audit(HTMLParser):
    """Every element, every attribute and the text of <style> blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str]] = []
        self.style = ""
        self.text = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        else:
            self.text += data


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("markup")
    mbox = markup.hostile_thread(where)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(where)
        code = _cli(["report", str(mbox), "-o", str(where / "out"), "--offline"])
    assert code in (0, 1)
    return where / "out"


def _cli(argv: list[str]) -> int:
    from patchscope.cli import main

    return main(argv)


def test_no_input_string_becomes_markup(report: Path) -> None:
    audit = _Audit()
    audit.feed((report / "index.html").read_text())
    assert audit.tags <= ELEMENTS, audit.tags - ELEMENTS
    assert "script" not in audit.tags and "img" not in audit.tags
    for tag, name, value in audit.attributes:
        assert not name.startswith("on"), (tag, name, value)
        assert name not in ("src", "srcset", "action", "formaction", "xlink:href"), (tag, name)
        if name == "href":
            assert value.startswith("#"), value  # in-page anchors only, never javascript:
        if name == "style":
            raise AssertionError(f"inline style attribute on <{tag}>: {value!r}")
    # the page's own CSS fetches nothing and runs nothing, whatever the mails held
    for bad in ("url(", "expression(", "javascript:", "@import", "evil.example"):
        assert bad not in audit.style.lower(), bad
    # and the attacks are on the page, as text (the positive control)
    for shown in (markup.SCRIPT, markup.CSS, markup.SVG_FILE, markup.FORMULAS[1]):
        assert shown in audit.text, shown


def test_no_csv_cell_starts_a_formula(report: Path) -> None:
    cells: list[str] = []
    for name in FILES:
        if name.endswith(".csv"):
            with (report / name).open(newline="") as handle:
                cells += [cell for row in list(csv.reader(handle))[1:] for cell in row]
    for cell in cells:
        if cell.startswith(FORMULA_START):
            float(cell)  # only a number may start so; anything else raises here
    # every hostile formula arrived, made inert with a leading apostrophe
    quoted = {cell for cell in cells if cell.startswith("'")}
    assert {"'+plus.c", "'-minus.c", "'@sum.c", "'" + markup.FORMULAS[1]} <= quoted
    assert any(cell.startswith("'" + markup.FORMULAS[0]) for cell in quoted)


@pytest.mark.parametrize("start", FORMULA_START)
def test_neutralise_quotes_each_formula_start(start: str) -> None:
    assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise(f"x{start}1") == f"x{start}1"
