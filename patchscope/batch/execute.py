"""Run the tasks on one `concurrent.futures.Executor`: a local process pool, or a Dask cluster's.

Both take the same chunks of tasks and give back the same results, collected in whatever
order they finish and then sorted by series key, so the output never depends on timing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import replace
from typing import Any

from patchscope import limits
from patchscope.batch.analyse import Chunk, SeriesResult, analyse_chunk, failed
from patchscope.batch.discover import SeriesTask
from patchscope.errors import PatchscopeError

LOCAL = "local"  # --scheduler local: a Dask LocalCluster on this machine
CHUNKS_PER_WORKER = 8  # enough chunks to keep every worker busy to the end
MAX_CHUNK = 16  # and small enough that the progress bar moves
CONNECT_TIMEOUT = "10s"  # for a scheduler that does not answer


class SchedulerError(PatchscopeError):
    """The Dask scheduler cannot be used: distributed is missing, or the address answers not."""


def default_workers() -> int:
    return os.cpu_count() or 1


@contextlib.contextmanager
def open_executor(workers: int, scheduler: str | None) -> Iterator[Executor]:
    """A process pool of `workers`, or the executor of the Dask cluster at `scheduler`.

    The pool's workers come from a fork server: a clean process, not a fork of one whose
    threads (a progress bar, a Dask client) may hold locks.
    """
    if scheduler is None:
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield pool
        return
    try:
        import distributed
    except ImportError:
        raise SchedulerError("--scheduler needs Dask: pip install 'patchscope[dask]'") from None
    dask: Any = distributed  # untyped: its calls are checked by the LocalCluster test
    with contextlib.ExitStack() as stack:
        try:
            if scheduler == LOCAL:
                cluster = dask.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                client = stack.enter_context(dask.Client(stack.enter_context(cluster)))
            else:
                client = stack.enter_context(dask.Client(scheduler, timeout=CONNECT_TIMEOUT))
        except (OSError, TimeoutError) as exc:
            raise SchedulerError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        with client.get_executor() as executor:
            yield executor


def chunked(tasks: Sequence[SeriesTask], workers: int) -> list[tuple[SeriesTask, ...]]:
    """Consecutive runs of tasks, about CHUNKS_PER_WORKER per worker, none over MAX_CHUNK."""
    size = max(1, min(MAX_CHUNK, len(tasks) // (workers * CHUNKS_PER_WORKER)))
    return [tuple(tasks[i : i + size]) for i in range(0, len(tasks), size)]


def run_tasks(
    tasks: Sequence[SeriesTask],
    executor: Executor,
    *,
    workers: int,
    done: Callable[[Chunk], None] = lambda chunk: None,
) -> list[SeriesResult]:
    """Every task's result, sorted by key; `done` hears of each chunk as it finishes.

    A chunk whose worker died (killed, out of memory) fails its series with the reason.
    """
    # the command's size limits hold in every worker; its time limit is the command's own
    within = replace(limits.current(), time_limit=0)
    futures = {
        executor.submit(analyse_chunk, chunk, within): chunk for chunk in chunked(tasks, workers)
    }
    results: list[SeriesResult] = []
    for future in as_completed(futures):
        try:
            chunk = future.result()
        except Exception as exc:  # the worker, not the series, failed: say so for each
            why = f"worker failed: {type(exc).__name__}: {exc}"
            chunk = Chunk(tuple(failed(task, why) for task in futures[future]))
        results += chunk.results
        done(chunk)
    return sorted(results, key=lambda r: r.key)
