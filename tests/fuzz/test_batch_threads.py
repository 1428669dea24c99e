"""batch's threading and analysis (SOURCE file -> postings -> results -> database and index) on
mutated threads: the mail forms, the toy and reference threads, sent again, given a version on
the cover only, with headers at and past their types' limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from tests.fuzz.strategies import FUZZ, mutated_threads
from tests.fuzz.targets import batch_target


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-batch")


# Fewer examples than the loader's: each analyses whole series (diffstats, facts, graph).
@settings(FUZZ, max_examples=200)
@given(data=mutated_threads())
def test_batch_files_every_thread_or_fails_it_in_one_line(workdir: Path, data: bytes) -> None:
    batch_target(workdir, data)
