"""gather(): what it does around the analysis, not the analysis itself."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from patchscope import gather as gathering
from patchscope.errors import PatchscopeError


def test_the_collector_runs_rarer_during_a_gather_and_as_before_after(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    during: list[tuple[int, ...]] = []

    def analyse(source: str, *, tree: str | None, offline: bool) -> None:
        during.append(gc.get_threshold())
        raise PatchscopeError("stop here")

    monkeypatch.setattr(gathering, "analyse", analyse)
    before = gc.get_threshold()
    with pytest.raises(PatchscopeError):
        gathering.gather(str(tmp_path / "series.mbox"))
    assert during[0][0] >= 10_000 > before[0]
    assert during[0][1:] == before[1:]
    assert gc.get_threshold() == before
