"""`patchscope entities`: rows from the code facts, the JSON contract, the table."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from patchscope.cli import main
from patchscope.commands.entities import COLUMNS, entity_rows, print_table
from tests.conftest import ROOT, GitSeries
from tests.graph.handmade import FACTS, HDR, MM, X86

SCHEMA = json.loads((ROOT / "patchscope" / "schema" / "entities.schema.json").read_text())


@pytest.fixture(autouse=True)
def handmade_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("patchscope.code.facts.series_facts", lambda series: FACTS)


def entities(capsys: pytest.CaptureFixture[str], source: str) -> dict[str, Any]:
    assert main(["entities", source, "--json", "--offline"]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    return document


def test_one_row_per_change(git_series: GitSeries, capsys: pytest.CaptureFixture[str]) -> None:
    rows = entities(capsys, str(git_series.mbox))["entities"]
    expected = [
        (c.patch, c.kind, c.name, c.file, c.change) for p in FACTS.patches for c in p.changes
    ]
    assert [(r["patch"], r["kind"], r["name"], r["file"], r["change"]) for r in rows] == expected
    first = rows[0]
    assert (first["area"], first["guard"], first["line"]) == (
        "arch/x86",
        "CONFIG_MEMORY_HOTPLUG",
        5,
    )
    assert {r["area"] for r in rows} == {"arch/x86", "mm", "include"}
    assert {r["file"] for r in rows} == {X86, MM, HDR}


def test_schema_rejects_a_missing_column(
    git_series: GitSeries, capsys: pytest.CaptureFixture[str]
) -> None:
    document = entities(capsys, str(git_series.mbox))
    del document["entities"][0]["guard"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_piped_rows_are_tab_separated(
    git_series: GitSeries, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["entities", str(git_series.mbox), "--offline"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split("\t") == list(COLUMNS)
    changes = [c for p in FACTS.patches for c in p.changes]
    assert [line.split("\t")[2] for line in lines] == [c.name for c in changes]
    assert all(len(line.split("\t")) == len(COLUMNS) for line in lines)


def test_terminal_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # rich takes a terminal's width from here
    print_table(entity_rows(FACTS))
    out = capsys.readouterr().out
    for p in FACTS.patches:
        for c in p.changes:
            assert f" {c.name} " in out and f" {c.file} " in out


def test_bad_source_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    assert main(["entities", str(tmp_path / "missing.mbox"), "--json", "--offline"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
