"""Time `patchscope batch` on a generated archive of at least 1,000 series, 1 and 2 workers.

Run by hand from the repository's top, never by pytest: `python -m bench.batch [--series N]`.
The archive (bench/gen_archive.py: real git series, some in two versions, with replies) is
built once into bench/out/archive-N-sSEED/ and reused. Discovery runs once, in this process;
each worker count then analyses every series on the process pool, start-up and worker
imports included; with --reps K, K rounds of 1 then 2 workers, and the fastest run of each
is shown (other work on a shared machine only ever slows a run down).

Each chunk reports its worker's peak RSS; the table shows the largest over the first and
over the last half of the archive, which must not grow (target: last <= 1.1 x first).
"CPUs busy" is the workers' CPU time over the wall clock: on a machine other work shares, a
speed-up below the target with fewer CPUs busy than workers means the CPUs were not there;
"series/CPU s" staying level from 1 to 2 workers says the pool itself costs next to nothing.
"CPUs free" is what two busy loops were given just before the run (2.00 when idle).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.gen_archive import Spec, build_archive
from bench.gen_mbox import OUT_DIR
from bench.stat import _met, _say, aligned
from patchscope.batch.analyse import Chunk
from patchscope.batch.discover import SeriesTask, discover
from patchscope.batch.execute import open_executor, run_tasks

TARGET = 1.7  # speed-up with 2 workers over 1
RSS_GROWTH = 1.1


@dataclass(frozen=True)
class Timed:
    workers: int
    seconds: float
    failed: int
    rss_first: int  # KiB, the largest peak RSS over the first half of the archive's chunks
    rss_last: int  # and over the last half
    cpu_seconds: float  # the workers' CPU time (and their git processes')
    load: float  # the machine's 1-minute load average when the run started
    free: float  # CPUs two busy loops were given just before the run


def specs(count: int, seed: int) -> list[Spec]:
    """`count` series of 1 to 4 patches, every tenth also as a v2, replies on two in three."""
    return [
        Spec(seed * 100_000 + n, patches=1 + n % 4, versions=2 if n % 10 == 0 else 1, replies=n % 3)
        for n in range(count)
    ]


def archive(count: int, seed: int) -> Path:
    folder = OUT_DIR / f"archive-{count}-s{seed}"
    done = folder / "complete"
    if not done.is_file():
        _say(f"building {folder} (real git, once)")
        build_archive(folder, specs(count, seed), files=4)
        done.write_text("built by bench/batch.py\n")
    return folder


def timed(tasks: Sequence[SeriesTask], workers: int) -> Timed:
    position = {t.key: n for n, t in enumerate(tasks)}
    peaks: list[tuple[int, int]] = []
    cpu: list[float] = []

    def done(chunk: Chunk) -> None:
        peaks.append((position[chunk.results[0].key], chunk.peak_rss_kib))
        cpu.append(chunk.cpu_seconds)

    load, free = os.getloadavg()[0], free_cpus()
    start = time.perf_counter()
    with open_executor(workers, None) as executor:
        results = run_tasks(tasks, executor, workers=workers, done=done)
    seconds = time.perf_counter() - start
    half = len(tasks) // 2
    first = max(rss for at, rss in peaks if at < half)
    last = max(rss for at, rss in peaks if at >= half)
    failed = sum(r.error is not None for r in results)
    return Timed(workers, seconds, failed, first, last, sum(cpu), load, free)


def _spin(seconds: float) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        pass
    return time.process_time() - cpu


def free_cpus(seconds: float = 2.0) -> float:
    """How many CPUs the machine gives two busy loops now: 2.0 on an idle machine."""
    with ProcessPoolExecutor(max_workers=2) as pool:
        return sum(pool.map(_spin, [seconds, seconds])) / seconds


def table(runs: Sequence[Timed], count: int) -> list[str]:
    head = ("workers", "seconds", "series/s", "speed-up", "CPU s", "series/CPU s", "CPUs busy")
    head += ("load before", "CPUs free")
    head += ("failed", "peak RSS MiB 1st/2nd half")
    one = runs[0].seconds
    cells = [head] + [
        (
            str(r.workers),
            f"{r.seconds:.1f}",
            f"{count / r.seconds:.1f}",
            f"{one / r.seconds:.2f}x",
            f"{r.cpu_seconds:.1f}",
            f"{count / r.cpu_seconds:.1f}",
            f"{r.cpu_seconds / r.seconds:.2f}",
            f"{r.load:.1f}",
            f"{r.free:.2f}",
            str(r.failed),
            f"{r.rss_first / 1024:.0f} / {r.rss_last / 1024:.0f}",
        )
        for r in runs
    ]
    return aligned(cells)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000, help="specs in the archive")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reps", type=int, default=1, help="rounds of 1 then 2 workers")
    parser.add_argument(
        "--tmpdir", help="TMPDIR for the workers' replays, e.g. /dev/shm (default: as set)"
    )
    args = parser.parse_args(argv)
    if args.tmpdir:  # before any worker starts: each reads TMPDIR when it first needs it
        os.environ["TMPDIR"] = args.tmpdir
    folder = archive(args.series, args.seed)
    start = time.perf_counter()
    tasks = discover([str(folder)]).tasks
    found = time.perf_counter() - start
    _say(f"{len(tasks)} series found in {found:.1f} s; {args.reps} rounds of 1, then 2 workers")
    rounds = [[timed(tasks, workers) for workers in (1, 2)] for _ in range(args.reps)]
    runs = [min(same, key=lambda r: r.seconds) for same in zip(*rounds, strict=True)]
    speedup = runs[0].seconds / runs[1].seconds
    grows = max(r.rss_last / r.rss_first for r in runs)
    lines = [
        f"archive: {folder} ({len(tasks)} series, discovery {found:.1f} s in this process)"
        f"; TMPDIR={os.environ.get('TMPDIR', '(unset)')}",
        *table(runs, len(tasks)),
        f"speed-up with 2 workers: {speedup:.2f}x (target >= {TARGET}x): {_met(speedup >= TARGET)}",
        f"peak RSS, last half / first half: {grows:.2f} (target <= {RSS_GROWTH}):"
        f" {_met(grows <= RSS_GROWTH)}",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
