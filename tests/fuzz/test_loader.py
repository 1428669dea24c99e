"""The loader (SOURCE file -> Series, as the CLI reads it) on mutated real mails."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import FUZZ, mutated_mails
from tests.fuzz.targets import load_target


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-loader")


@FUZZ
@given(data=mutated_mails, suffix=st.sampled_from((".mbox", ".eml", ".patch")))
def test_loader_gives_a_series_or_one_line(workdir: Path, data: bytes, suffix: str) -> None:
    load_target(workdir / f"input{suffix}", data)
