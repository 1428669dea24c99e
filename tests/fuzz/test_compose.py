"""The diff parser and composer (replay on a synthetic base, git's count) on mutated series."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given

from tests.fuzz.strategies import FUZZ, mutated_series
from tests.fuzz.targets import compose_target

SHM = Path("/dev/shm")


@pytest.fixture(scope="module", autouse=True)
def trees_in_memory() -> Iterator[None]:
    """Every example writes and removes two small trees for git: on tmpfs when there is
    one, where that costs a fraction of what a disk's directory operations do."""
    if not (SHM.is_dir() and os.access(SHM, os.W_OK)):
        yield
        return
    with tempfile.TemporaryDirectory(dir=SHM) as where, pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", where)
        yield


@FUZZ
@given(diffs=mutated_series())
def test_composer_gives_a_diffstat_or_one_line(diffs: list[bytes]) -> None:
    compose_target(diffs)
