"""Stages: the series' own text evaluated as C evaluates it, and how a series finds its model."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from patchscope.checks.cexpr import INT, ULONG, Value
from patchscope.code.facts import series_facts
from patchscope.code.model import SeriesFacts
from patchscope.ingest.series import Series
from patchscope.model.memory_hotplug.stages import (
    ModelTextError,
    NoModelError,
    SeriesText,
    model_name,
    series_model,
    series_text,
    unsigned_long,
)
from patchscope.pipeline import load_series
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX

# include/linux/page-flags.h (v5.0): what VMEMMAP_PAGE builds on; the series does not show it
BASE = {
    "PAGE_MAPPING_ANON": "#define PAGE_MAPPING_ANON 0x1",
    "PAGE_MAPPING_MOVABLE": "#define PAGE_MAPPING_MOVABLE 0x2",
    "PAGE_MAPPING_FLAGS": "#define PAGE_MAPPING_FLAGS (PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE)",
}
ULONG_BITS = 64


@pytest.fixture(scope="module")
def reference() -> tuple[Series, SeriesFacts]:
    series = load_series(str(REFERENCE_MANIFEST))
    return series, series_facts(series)


def _defined(name: str) -> str:
    """A macro's replacement text as the mails write it (the last patch defining it)."""
    bodies = re.findall(rf"(?m)^\+#define {name}\s+(.*)$", REFERENCE_MBOX.read_text())
    return str(bodies[-1]).strip()


def _shift_value(body: str) -> int:
    """`a<<b` read off the text independently of the code under test."""
    a, b = (int(x) for x in body.split("<<"))
    return a << b


def test_macros_come_from_the_series_text(reference: tuple[Series, SeriesFacts]) -> None:
    _, facts = reference
    text = series_text(facts, 3, BASE)
    assert text.value("MHP_MEMBLOCK_API").value == _shift_value(_defined("MHP_MEMBLOCK_API"))
    assert text.value("MHP_MEMMAP_FROM_RANGE").value == _shift_value(
        _defined("MHP_MEMMAP_FROM_RANGE")
    )
    # ~(0x1 | 0x2) in int: two's complement of 3
    assert text.value("VMEMMAP_PAGE") == Value(-(0x1 | 0x2) - 1, INT)


def test_a_stage_knows_only_what_its_patches_define(reference: tuple[Series, SeriesFacts]) -> None:
    _, facts = reference
    assert "MHP_MEMBLOCK_API" not in series_text(facts, 1, BASE).macros
    assert "MHP_MEMMAP_FROM_RANGE" not in series_text(facts, 2, BASE).macros
    with pytest.raises(ModelTextError, match="stage 2: the series defines no macro"):
        series_text(facts, 2, BASE).value("MHP_MEMMAP_FROM_RANGE")


def _s390_veto(text: SeriesText, flags: int) -> int:
    line = text.line("arch_add_memory", "MHP_MEMMAP_FROM_RANGE", file="arch/s390/mm/init.c")
    return text.assign(line, unsigned_long(flags), {}).value


def test_the_unparenthesised_veto_clears_more_than_its_flag(
    reference: tuple[Series, SeriesFacts],
) -> None:
    """`flags &= ~1<<1` is `flags & ((~1) << 1)`: ~1 is -2, shifted -4, so bits 0 and 1 go."""
    _, facts = reference
    text = series_text(facts, 3, BASE)
    memblock, from_range = (
        _shift_value(_defined(n)) for n in ("MHP_MEMBLOCK_API", "MHP_MEMMAP_FROM_RANGE")
    )
    mask = ((~1) << 1) % (1 << ULONG_BITS)
    assert _s390_veto(text, memblock | from_range) == (memblock | from_range) & mask == 0


def test_a_parenthesised_flag_vetoes_only_itself(reference: tuple[Series, SeriesFacts]) -> None:
    """Perturbed: the same series with `(1<<1)` keeps MHP_MEMBLOCK_API through the veto."""
    _, facts = reference
    patch = facts.patches[2]
    definitions = tuple(
        dataclasses.replace(d, body="(1<<1)", signature="#define MHP_MEMMAP_FROM_RANGE (1<<1)")
        if d.name == "MHP_MEMMAP_FROM_RANGE"
        else d
        for d in patch.after.definitions
    )
    fixed = dataclasses.replace(
        patch, after=dataclasses.replace(patch.after, definitions=definitions)
    )
    patches = (*facts.patches[:2], fixed, *facts.patches[3:])
    text = series_text(SeriesFacts(patches), 3, BASE)
    assert _s390_veto(text, 0b11) == 0b01


def test_lines_are_evaluated_with_their_bindings(reference: tuple[Series, SeriesFacts]) -> None:
    _, facts = reference
    text = series_text(facts, 3, BASE)
    test = text.line("init_altmap_memmap", "MHP_MEMMAP_FROM_RANGE")
    assert test.startswith("if (!(r->flags & MHP_MEMMAP_FROM_RANGE))")
    assert text.condition(test, {"r->flags": unsigned_long(0b01)})
    assert not text.condition(test, {"r->flags": unsigned_long(0b11)})
    stored = text.assign(text.line("__SetPageVmemmap", "VMEMMAP_PAGE"), unsigned_long(0), {})
    assert stored == Value((1 << ULONG_BITS) - 4, ULONG)
    is_vmemmap = text.line("PageVmemmap", "VMEMMAP_PAGE")
    reserved = {"PageReserved(page)": Value(1, INT)}
    assert text.condition(is_vmemmap, {**reserved, "page->mapping": stored})
    assert not text.condition(is_vmemmap, {**reserved, "page->mapping": unsigned_long(0)})


def test_a_missing_line_is_one_clear_error(reference: tuple[Series, SeriesFacts]) -> None:
    _, facts = reference
    with pytest.raises(ModelTextError, match="stage 3: no line of add_memory uses NOPE"):
        series_text(facts, 3, BASE).line("add_memory", "NOPE")


def test_the_manifest_names_the_model(tmp_path: Path) -> None:
    assert model_name(str(REFERENCE_MANIFEST)) == "memmap_hotadd_rfc_v2"
    bare = tmp_path / "bare.toml"
    bare.write_text('name = "x"\nmessage_id = "x@y"\nsources = ["a.mbox"]\n')
    assert model_name(str(bare)) is None
    assert model_name(str(REFERENCE_MBOX)) is None


def test_a_series_without_a_model(reference: tuple[Series, SeriesFacts]) -> None:
    series, _ = reference
    with pytest.raises(NoModelError, match=r"^no model for this series$"):
        series_model(series, None)
    with pytest.raises(NoModelError, match="no stage module 'nosuch'"):
        series_model(series, "nosuch")
