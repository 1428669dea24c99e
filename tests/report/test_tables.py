"""Spreadsheet formula neutralisation, cell by cell."""

from __future__ import annotations

import pytest

from patchscope.report.tables import neutralise


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_get_a_quote(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["mm/sparse.c", "a=b", " =1", "", 3, -3, None, True])
def test_other_cells_are_kept(value: object) -> None:
    assert neutralise(value) == value
