"""`patchscope entities`: rows from the code facts, the JSON contract, the table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from patchscope.cli import main
from patchscope.commands.entities import COLUMNS, entity_rows, print_table
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, ROOT, GitSeries
from tests.graph.handmade import FACTS, HDR, MM, X86

SCHEMA = json.loads((ROOT / "patchscope" / "schema" / "entities.schema.json").read_text())


@pytest.fixture
def handmade_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hand-made facts in place of the facts stage, for the tests of the command layer."""
    monkeypatch.setattr("patchscope.code.facts.series_facts", lambda series: FACTS)


def entities(capsys: pytest.CaptureFixture[str], source: str) -> dict[str, Any]:
    assert main(["entities", source, "--json", "--offline"]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    return document


@pytest.mark.usefixtures("handmade_facts")
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


@pytest.mark.usefixtures("handmade_facts")
def test_schema_rejects_a_missing_column(
    git_series: GitSeries, capsys: pytest.CaptureFixture[str]
) -> None:
    document = entities(capsys, str(git_series.mbox))
    del document["entities"][0]["guard"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


@pytest.mark.usefixtures("handmade_facts")
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


def test_bad_source_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["entities", str(tmp_path / "missing.mbox"), "--json", "--offline"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1


# Read off thread.mbox: 2/4 changes arch_add_memory's parameters in these files, and 4/4
# renames two functions, each defined twice in mm/sparse.c (SPARSEMEM_VMEMMAP and #else).
ARCH_ADD_MEMORY = {
    ("arch/arm64/mm/mmu.c", "arch/arm64"),
    ("arch/ia64/mm/init.c", "arch/ia64"),
    ("arch/powerpc/mm/mem.c", "arch/powerpc"),
    ("arch/s390/mm/init.c", "arch/s390"),
    ("arch/sh/mm/init.c", "arch/sh"),
    ("arch/x86/mm/init_32.c", "arch/x86"),
    ("arch/x86/mm/init_64.c", "arch/x86"),
}
RENAMES = [
    ("alloc_section_memmap", "from kmalloc_section_memmap"),
    ("free_section_memmap", "from __kfree_section_memmap"),
] * 2


def test_reference_series_rows(capsys: pytest.CaptureFixture[str]) -> None:
    rows = entities(capsys, str(REFERENCE_MANIFEST))["entities"]
    changed = {
        (r["kind"], r["file"], r["area"])
        for r in rows
        if (r["patch"], r["name"], r["change"]) == (2, "arch_add_memory", "prototype")
    }
    assert changed == {("function", file, area) for file, area in ARCH_ADD_MEMORY} | {
        ("prototype", "include/linux/memory_hotplug.h", "include")
    }
    renamed = [(r["name"], r["detail"]) for r in rows if r["change"] == "renamed"]
    assert sorted(renamed) == sorted(RENAMES)
    assert {r["file"] for r in rows if r["change"] == "renamed"} == {"mm/sparse.c"}
    assert [r["patch"] for r in rows] == sorted(r["patch"] for r in rows)


def test_perturbed_reference_moves_the_area(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """mm/sparse.c renamed to arch/x86/mm/sparse.c in a copy: 4/4's rows follow the path."""
    copy = tmp_path / "thread.mbox"
    copy.write_text(REFERENCE_MBOX.read_text().replace("/mm/sparse.c", "/arch/x86/mm/sparse.c"))
    rows = entities(capsys, str(copy))["entities"]
    renamed = [r for r in rows if r["change"] == "renamed"]
    assert len(renamed) == len(RENAMES)
    assert {(r["file"], r["area"]) for r in renamed} == {("arch/x86/mm/sparse.c", "arch/x86")}
