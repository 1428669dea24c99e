"""The code-fact extractor (tree-sitter over hunk fragments) on mutated C diffs."""

from __future__ import annotations

from hypothesis import given

from tests.fuzz.strategies import FUZZ, mutated_c_diffs
from tests.fuzz.targets import facts_target


@FUZZ
@given(diff=mutated_c_diffs)
def test_facts_are_read_or_refused_in_one_line(diff: bytes) -> None:
    facts_target(diff)
