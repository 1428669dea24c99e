"""The diff parser and composer (replay on a synthetic base, git's count) on mutated series."""

from __future__ import annotations

from hypothesis import given

from tests.fuzz.strategies import FUZZ, mutated_series
from tests.fuzz.targets import compose_target


@FUZZ
@given(diffs=mutated_series())
def test_composer_gives_a_diffstat_or_one_line(diffs: list[bytes]) -> None:
    compose_target(diffs)
