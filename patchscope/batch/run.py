"""The whole batch, from SOURCEs to results: discover, run on the executor, add what was
unreadable. The command layer only adds the progress bar and the summary line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from patchscope.batch.analyse import Chunk, SeriesResult
from patchscope.batch.discover import discover
from patchscope.batch.execute import open_executor, run_tasks
from patchscope.errors import PatchscopeError


class NothingFound(PatchscopeError):
    """The SOURCEs hold no series and no mail file at all."""


@dataclass(frozen=True)
class Plan:
    sources: tuple[str, ...]
    workers: int
    scheduler: str | None = None  # None: the local process pool
    offline: bool = False


def run_batch(
    plan: Plan,
    *,
    started: Callable[[int], None] = lambda total: None,
    done: Callable[[Chunk], None] = lambda chunk: None,
) -> list[SeriesResult]:
    """Every series' result and one failed entry per unreadable file, sorted by key."""
    found = discover(plan.sources, offline=plan.offline)
    if not found.tasks and not found.unreadable:
        raise NothingFound(f"no series found in {', '.join(plan.sources)}")
    started(len(found.tasks))
    results: list[SeriesResult] = []
    if found.tasks:
        with open_executor(plan.workers, plan.scheduler) as executor:
            results = run_tasks(found.tasks, executor, workers=plan.workers, done=done)
    lost = [SeriesResult(u.source, u.source, "", 1, u.error) for u in found.unreadable]
    return sorted([*results, *lost], key=lambda r: r.key)
