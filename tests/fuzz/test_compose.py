"""The diff parser and composer (replay on a synthetic base, git's count) on mutated series."""

from __future__ import annotations

from hypothesis import given

from patchscope.diff.compose import Composed, compose
from patchscope.diff.deps import dependencies
from patchscope.diff.lineage import replay
from patchscope.diff.parse import parse_diff
from tests.fuzz.contract import value_or_clean_error
from tests.fuzz.strategies import FUZZ, mutated_series


@FUZZ
@given(diffs=mutated_series())
def test_composer_gives_a_diffstat_or_one_line(diffs: list[bytes]) -> None:
    patches = [
        (number, parse_diff(diff.decode("utf-8", "replace")).files)
        for number, diff in enumerate(diffs, start=1)
    ]

    def composed() -> Composed:
        replayed = replay(patches)
        dependencies(patches, replayed)
        return compose(patches, replayed)

    result = value_or_clean_error(composed)
    if result is not None:
        named = {path for _, files in patches for f in files for path in (f.path, f.old_path)}
        assert set(result.diffstat.per_file) <= named
