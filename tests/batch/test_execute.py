"""The executor path on its own: chunks keep the order, a dead worker fails only its chunk."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from patchscope.batch import execute
from patchscope.batch.analyse import Chunk, SeriesResult
from patchscope.batch.discover import SeriesTask
from patchscope.limits import Limits


def tasks(count: int) -> list[SeriesTask]:
    return [SeriesTask(f"k{n:03d}@x", "a.mbox", f"t{n}", 1, ()) for n in range(count)]


def test_chunks_cover_every_task_once_in_order() -> None:
    given = tasks(100)
    chunks = execute.chunked(given, workers=2)
    assert [t for chunk in chunks for t in chunk] == given
    assert {len(c) for c in chunks[:-1]} == {100 // (2 * execute.CHUNKS_PER_WORKER)}
    assert max(len(c) for c in execute.chunked(tasks(5000), workers=1)) == execute.MAX_CHUNK


def test_a_chunk_whose_worker_died_fails_its_series_and_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fake(chunk: Sequence[SeriesTask], within: Limits) -> Chunk:
        if any(t.key == "k007@x" for t in chunk):
            raise MemoryError("out of memory")
        return Chunk(tuple(SeriesResult(t.key, t.source, t.title, t.version) for t in chunk))

    monkeypatch.setattr(execute, "analyse_chunk", fake)
    given = tasks(40)
    doomed = next(c for c in execute.chunked(given, workers=2) if given[7] in c)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = execute.run_tasks(given, pool, workers=2)
    assert [r.key for r in results] == [t.key for t in given]
    failed = {r.key: r.error for r in results if r.error is not None}
    assert failed == {t.key: "worker failed: MemoryError: out of memory" for t in doomed}
