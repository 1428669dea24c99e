"""The report's escaping: a string from mail, however hostile, stays text in the page, and
a CSV cell never starts a formula or a row of its own (see targets.report_target)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import FUZZ, hostile_strings
from tests.fuzz.targets import csv_target, report_target, slots


@FUZZ
@given(strings=st.lists(hostile_strings, min_size=1, max_size=6).map(slots))
def test_hostile_strings_stay_text(strings: list[str]) -> None:
    report_target(strings)


@FUZZ
@given(text=hostile_strings | st.text())
def test_csv_cells_never_start_a_formula(text: str) -> None:
    csv_target(text)
