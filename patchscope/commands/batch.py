"""`patchscope batch SOURCE... -o DIR [--workers N] [--scheduler ADDRESS] [--offline]`: every
series in mboxes and folders analysed (stat, graph, check; claims where a model applies) into
DIR/batch.sqlite, DIR/index.html and DIR/index.csv.

Exit 0 when every series was analysed, whatever it was found to hold; 1 when at least one
series (or mail file) could not be, each named with its error in the index; 2 when nothing
could be done (no series at all, an output over an input, an unreachable scheduler).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from patchscope.batch.analyse import Chunk
from patchscope.batch.execute import default_workers
from patchscope.batch.outputs import refuse_inputs, write_outputs
from patchscope.batch.run import Plan, run_batch
from patchscope.errors import EXIT_CLEAN, EXIT_FINDINGS, PatchscopeError


class WorkersError(PatchscopeError):
    """--workers below one."""


def main(args: argparse.Namespace) -> int:
    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        raise WorkersError(f"--workers must be at least 1, not {workers}")
    folder = Path(args.output)
    refuse_inputs(args.sources, folder)
    plan = Plan(tuple(args.sources), workers, args.scheduler, args.offline)
    with _progress() as (started, done):
        results = run_batch(plan, started=started, done=done)
    write_outputs(results, folder)
    failed = sum(r.error is not None for r in results)
    print(f"{len(results)} series: {len(results) - failed} analysed, {failed} failed; {folder}")
    return EXIT_FINDINGS if failed else EXIT_CLEAN


Hooks = tuple[Callable[[int], None], Callable[[Chunk], None]]


@contextlib.contextmanager
def _progress() -> Iterator[Hooks]:
    """A bar of series done and left on stderr, only for a person at a terminal (never in a
    pipe, a log or under --quiet)."""
    if not sys.stderr.isatty():
        yield (lambda total: None, lambda chunk: None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (
        TextColumn("series"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("done, {task.fields[left]} left"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("series", total=None, left="?")

        def done(chunk: Chunk) -> None:
            bar.advance(task, len(chunk.results))
            left = (bar.tasks[0].total or 0) - bar.tasks[0].completed
            bar.update(task, left=int(left))

        yield (lambda total: bar.update(task, total=total, left=total), done)
