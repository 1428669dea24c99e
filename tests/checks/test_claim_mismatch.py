"""claim-mismatch: rename, cleanup and no-functional-change claims held against the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchscope.checks import claim_mismatch
from patchscope.checks.claim_mismatch import claims
from tests.checks.kit import keys, make_series

FILE = "mm/hpclaim.c"


def _source(helper: str, cond: str, arg: str, count: str = "count") -> str:
    return (
        f"static int {helper}(int nr)\n{{\n\treturn nr;\n}}\n\n"
        f"int hp_scan(int {count}, int limit)\n{{\n"
        f"\tif ({cond})\n\t\treturn -1;\n"
        f"\treturn {helper}({arg});\n}}\n"
    )


BASE = {FILE: _source("kmalloc_nr", "count > limit", "count")}


def _check(tmp_path: Path, message: str, after: str) -> list:
    made = make_series(tmp_path, BASE, [(message, {FILE: after})])
    return claim_mismatch.check(made.series, made.facts, None)


def test_pure_rename_is_clean(tmp_path: Path) -> None:
    after = _source("alloc_nr", "nr_pages > limit", "nr_pages", count="nr_pages")
    assert _check(tmp_path, "mm: rename kmalloc_nr to alloc_nr", after) == []


def test_rename_that_also_changes_a_value(tmp_path: Path) -> None:
    after = _source("alloc_nr", "count > limit", "count + 1")
    found = _check(tmp_path, "mm: rename kmalloc_nr to alloc_nr", after)
    # the solver names the call whose argument changed and where the two differ
    assert keys(found) == {("claim-mismatch", 1, FILE, "alloc_nr")}
    assert found[0].evidence[:2] == (
        "message: Subject: mm: rename kmalloc_nr to alloc_nr",
        f"code: {FILE}:10: +return alloc_nr(count + 1);",
    )
    assert "compared: count  vs  (count + 1)" in found[0].evidence
    assert "assuming: no signed overflow in (count + 1)" in found[0].evidence


def test_no_functional_change_with_a_changed_condition(tmp_path: Path) -> None:
    message = "mm: tidy hp_scan\n\nNo functional change intended."
    found = _check(tmp_path, message, _source("kmalloc_nr", "count >= limit", "count"))
    assert keys(found) == {("claim-mismatch", 1, FILE, None)}
    assert found[0].evidence[0] == "message: No functional change intended."
    assert found[0].evidence[1] == f"code: {FILE}:8: +if (count >= limit)"


def test_cleanup_with_a_different_argument(tmp_path: Path) -> None:
    found = _check(
        tmp_path, "mm: clean up hp_scan", _source("kmalloc_nr", "count > limit", "limit")
    )
    assert keys(found) == {("claim-mismatch", 1, FILE, "kmalloc_nr")}


def test_no_functional_change_that_renames_a_parameter_is_clean(tmp_path: Path) -> None:
    after = _source("kmalloc_nr", "nr > limit", "nr", count="nr")
    assert _check(tmp_path, "mm: shorter names in hp_scan\n\nNFC.", after) == []


def test_no_claim_no_finding(tmp_path: Path) -> None:
    after = _source("kmalloc_nr", "count >= limit", "limit")
    assert _check(tmp_path, "mm: make hp_scan stricter", after) == []


def test_no_functional_change_that_swaps_arguments(tmp_path: Path) -> None:
    base = {FILE: "int hp_pair(int a, int b)\n{\n\treturn hp_sub(a, b);\n}\n"}
    after = "int hp_pair(int a, int b)\n{\n\treturn hp_sub(b, a);\n}\n"
    made = make_series(tmp_path, base, [("mm: hp_pair\n\nNo functional changes.", {FILE: after})])
    found = claim_mismatch.check(made.series, made.facts, None)
    assert keys(found) == {("claim-mismatch", 1, FILE, "hp_sub")}


def test_rename_that_changes_a_type(tmp_path: Path) -> None:
    base = {FILE: "static int hp_nr;\n"}
    made = make_series(tmp_path, base, [("mm: rename hp_nr", {FILE: "static long hp_count;\n"})])
    found = claim_mismatch.check(made.series, made.facts, None)
    assert keys(found) == {("claim-mismatch", 1, FILE, None)}
    assert found[0].evidence[1] == f"code: {FILE}:1: +static long hp_count;"


@pytest.mark.parametrize(
    ("message", "claimed"),
    [
        ("mm: tidy\n\nRename it to alloc_nr, which says what it does.", ["rename"]),
        ("mm: tidy\n\nThe error path must clean up the pages.", []),
        ("mm: tidy\n\nDrop a test. Clean up the error path.", ["cleanup"]),
        ("mm: tidy\n\nNo functional changes.", ["no functional change"]),
        ("NFC: pn533: fix the reset", []),
        ("mm: tidy\n\nNFC.", ["no functional change"]),
    ],
)
def test_which_words_claim(tmp_path: Path, message: str, claimed: list[str]) -> None:
    made = make_series(tmp_path, BASE, [(message, {FILE: _source("kmalloc_nr", "c", "x")})])
    (patch,) = made.series.patches
    assert [claim for claim, _ in claims(patch)] == claimed
