"""The loader (SOURCE file -> Series, as the CLI reads it) on mutated real mails."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patchscope.pipeline import load_series
from tests.fuzz.contract import value_or_clean_error
from tests.fuzz.strategies import FUZZ, mutated_mails


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-loader")


@FUZZ
@given(data=mutated_mails, suffix=st.sampled_from((".mbox", ".eml", ".patch")))
def test_loader_gives_a_series_or_one_line(workdir: Path, data: bytes, suffix: str) -> None:
    source = workdir / f"input{suffix}"
    source.write_bytes(data)
    series = value_or_clean_error(lambda: load_series(str(source), offline=True))
    if series is not None:
        numbers = [p.number for p in series.patches]
        assert numbers and numbers == sorted(set(numbers)), numbers
        assert source.read_bytes() == data  # the user's file is never touched
