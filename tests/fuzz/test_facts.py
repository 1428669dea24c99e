"""The code-fact extractor (tree-sitter over hunk fragments) on mutated C diffs."""

from __future__ import annotations

from hypothesis import given

from patchscope.code.facts import patch_facts
from patchscope.diff.parse import parse_diff
from tests.fuzz.contract import value_or_clean_error
from tests.fuzz.strategies import FUZZ, mutated_c_diffs


@FUZZ
@given(diff=mutated_c_diffs)
def test_facts_are_read_or_refused_in_one_line(diff: bytes) -> None:
    files = parse_diff(diff.decode("utf-8", "replace")).files
    facts = value_or_clean_error(lambda: patch_facts(1, files))
    if facts is not None:
        named = {path for f in files for path in (f.path, f.old_path)}
        images = (facts.before, facts.after)
        assert {d.file for image in images for d in image.definitions} <= named
        assert {r.file for image in images for r in image.references} <= named
