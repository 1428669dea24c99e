"""`patchscope graph`: formats, -o, and refusals, on a real git-made series.

The code facts are the hand-made ones of tests/graph/handmade.py, so these tests pin the
command layer whatever the facts stage does; the reference series' graph is tested in
tests/graph/test_reference.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from patchscope.cli import main
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, GitSeries
from tests.graph.handmade import FACTS


@pytest.fixture(autouse=True)
def handmade_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("patchscope.code.facts.series_facts", lambda series: FACTS)


def run(capsys: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, bytes, str]:
    code = main(["graph", *args, "--offline"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.decode()


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


def test_missing_dot_is_exit_2(
    git_series: GitSeries,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    target = tmp_path / "g.svg"
    code, out, err = run(capsysbinary, str(git_series.mbox), "--format", "svg", "-o", str(target))
    assert (code, out) == (2, b"")
    assert err == "patchscope: graphviz's 'dot' is not installed; --format svg needs it\n"
    assert not target.exists()
