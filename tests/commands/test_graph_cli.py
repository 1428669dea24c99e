"""`patchscope graph`: formats, -o, and refusals, on a real git-made series.

The code facts are the hand-made ones of tests/graph/handmade.py, so these tests pin the
command layer whatever the facts stage does; the reference series' graph is tested in
tests/graph/test_reference.py.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from patchscope.cli import main
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, GitSeries
from tests.graph.handmade import FACTS


@pytest.fixture
def handmade_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hand-made facts in place of the facts stage, for the tests of the command layer."""
    monkeypatch.setattr("patchscope.code.facts.series_facts", lambda series: FACTS)


def run(capsys: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, bytes, str]:
    code = main(["graph", *args, "--offline"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.decode()


@pytest.mark.usefixtures("handmade_facts")
def test_json_to_stdout(git_series: GitSeries, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, err = run(capsysbinary, str(git_series.mbox), "--format", "json")
    assert (code, err) == (0, "")
    graph = nx.node_link_graph(json.loads(out), edges="edges")
    subjects = {graph.nodes[f"patch:{n}"]["subject"] for n in range(1, 5)}
    assert subjects == {
        "mm: add hotplug counter",
        "mm: let hotplug_add fail on overflow",
        "x86: call hotplug_add at boot",
        "mm: rename counter to nr_added",
    }
    # the series' own dependencies: 2/4 edits lines of mm/hotplug.c that 1/4 added
    (dep,) = graph.get_edge_data("patch:2", "patch:1").values()
    assert dep["kind"] == "depends_on"
    assert any(r.split(": ")[1] == "mm/hotplug.c" for r in dep["reasons"].split("\n"))


@pytest.mark.parametrize("fmt", ["json", "graphml", "dot", "svg"])
@pytest.mark.usefixtures("handmade_facts")
def test_output_file_holds_what_stdout_shows(
    git_series: GitSeries, capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path, fmt: str
) -> None:
    _, shown, _ = run(capsysbinary, str(git_series.mbox), "--format", fmt)
    target = tmp_path / f"graph.{fmt}"
    code, out, err = run(capsysbinary, str(git_series.mbox), "--format", fmt, "-o", str(target))
    assert (code, out, err) == (0, b"", "")
    assert target.read_bytes() == shown


def test_refuses_to_overwrite_the_source(
    git_series: GitSeries, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    before = git_series.mbox.read_bytes()
    code, out, err = run(capsysbinary, str(git_series.mbox), "-o", str(git_series.mbox))
    assert (code, out) == (2, b"")
    assert err.count("\n") == 1 and "refusing to overwrite" in err
    assert git_series.mbox.read_bytes() == before


def test_refuses_a_patch_file_of_a_source_directory(
    git_series: GitSeries, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    first = sorted(git_series.patch_dir.glob("0001-*"))[0]
    before = first.read_bytes()
    code, _, err = run(capsysbinary, str(git_series.patch_dir), "-o", str(first))
    assert code == 2 and "refusing" in err
    assert first.read_bytes() == before


@pytest.mark.usefixtures("handmade_facts")
def test_new_file_in_a_source_directory_is_fine(
    git_series: GitSeries, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    target = git_series.patch_dir / "graph.json"
    code, _, err = run(capsysbinary, str(git_series.patch_dir), "-o", str(target))
    assert (code, err) == (0, "")
    assert json.loads(target.read_text())["directed"] is True


def test_refuses_the_mbox_a_manifest_names(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, _, err = run(capsysbinary, str(REFERENCE_MANIFEST), "-o", str(REFERENCE_MBOX))
    assert code == 2 and "refusing" in err


@pytest.mark.usefixtures("handmade_facts")
def test_graphviz_that_cannot_draw_is_exit_2(
    git_series: GitSeries,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """No system `dot` is looked for any more: the wheel's Graphviz is past its limit."""
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("patchscope.graph.render.MAX_FUEL", 1000)
    target = tmp_path / "g.svg"
    code, out, err = run(capsysbinary, str(git_series.mbox), "--format", "svg", "-o", str(target))
    assert (code, out) == (2, b"")
    assert err == (
        "patchscope: the graph is too big to draw: Graphviz used up its budget of 1e+03 steps\n"
    )
    assert not target.exists()


def test_reference_series_graph(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """The real facts stage on the reference thread: 2/4's arch -> mm calls, 3/4's pointer calls."""
    code, out, err = run(capsysbinary, str(REFERENCE_MANIFEST), "--format", "json")
    assert (code, err) == (0, "")
    graph = nx.node_link_graph(json.loads(out), edges="edges")
    add_pages = "function:mm/memory_hotplug.c:__add_pages"
    callers = {u for u, _, k in graph.in_edges(add_pages, data="kind") if k == "calls"}
    assert "function:arch/arm64/mm/mmu.c:arch_add_memory" in callers
    assert "function:arch/x86/mm/init_64.c:add_pages" in callers
    via = {a["via"]: v for _, v, a in graph.out_edges(add_pages, data=True) if a["kind"] == "calls"}
    assert via["init"] == "function:mm/memory_hotplug.c:init_altmap_memmap"
    assert via["constructor"] == "function:mm/sparse.c:mark_vmemmap_pages"
    assert graph.nodes["patch:3"]["subject"] == (
        "mm, memory_hotplug: allocate memmap from the added memory range for sparse-vmemmap"
    )


def test_reference_series_svg_twice(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    _, first, _ = run(capsysbinary, str(REFERENCE_MANIFEST), "--format", "svg")
    _, second, _ = run(capsysbinary, str(REFERENCE_MANIFEST), "--format", "svg")
    assert first == second
    root = ET.fromstring(first)
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"arch_add_memory", "__add_pages", "mark_vmemmap_pages"} <= texts
