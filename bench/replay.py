"""Time hot-add, online, offline and hot-remove of 2 GiB, 64 GiB and 1 TiB on x86_64.

Run by hand from the repository's top, never by pytest:
`python -m bench.replay [--reps K] [--stage N]`. The model runs at a stage of the
reference series (default: its last patch); each operation is timed as a replay runs it,
on a fresh kernel per round: the model's kernel functions alone, and (up to 64 GiB) with
the invariants checked after every step as a replay checks them. The table shows each
one's median over K rounds and its time per section; below it, how the whole lifecycle
grows against the number of sections (target: 1 TiB under 2 s, time growing no faster
than sections). Times are CPU seconds of this process (time.process_time): on a shared
machine the wall clock also counts the neighbours' work, so it is shown beside the totals.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from patchscope.model.memory_hotplug import flows, invariants
from patchscope.model.memory_hotplug.kernel import Kernel
from patchscope.model.memory_hotplug.stages import Stage, model_name, series_model
from patchscope.pipeline import load_series
from tests.conftest import REFERENCE_MANIFEST

GIB = 1 << 30
SIZES = (("2 GiB", 2 * GIB), ("64 GiB", 64 * GIB), ("1 TiB", 1024 * GIB))
START = 4 * GIB
PARTS: tuple[tuple[str, Callable[[Kernel, flows.FlowParams], Iterator[str]]], ...] = (
    ("hot-add", flows.hot_add),
    ("online", flows.online),
    ("offline", flows.offline),
    ("hot-remove", flows.hot_remove),
)
TARGET_SECONDS = 2.0  # the whole 1 TiB lifecycle


# The invariants are checked after every step as a replay does, but only up to this size:
# each check walks the whole state, so per-step checks grow with the square of the blocks.
CHECKED_UP_TO = 64 * GIB


@dataclass(frozen=True)
class Row:
    size: str
    sections: int
    part: str
    seconds: float  # CPU seconds of the model's kernel functions alone
    wall: float  # the same on the wall clock
    checked: float | None  # the same with the invariants after every step (None: not run)


Times = dict[str, tuple[float, float]]  # part -> (CPU, wall) seconds


def one_round(stage: Stage, params: flows.FlowParams, check: bool) -> tuple[Times, set[str]]:
    """Each part's time on one fresh kernel; with `check`, the invariants after every step
    (what they find is shown under the table, not a reason to stop timing)."""
    k = Kernel(flows.make_config(params), stage)
    times: Times = {}
    broken: set[str] = set()
    for name, part in PARTS:
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in part(k, params):
            if check:
                broken.update(f"{name}: {v.name}" for v in invariants.check(k))
        times[name] = (time.process_time() - cpu, time.perf_counter() - wall)
    return times, broken


def _median(rounds: list[tuple[Times, set[str]]], name: str, clock: int = 0) -> float:
    return statistics.median(times[name][clock] for times, _ in rounds)


def measure(stage: Stage, reps: int) -> tuple[list[Row], set[str]]:
    rows: list[Row] = []
    broken: set[str] = set()
    for label, size in SIZES:
        params = flows.FlowParams(arch="x86_64", size=size, start=START)
        sections = size >> flows.make_config(params).section_size_bits
        bare = [one_round(stage, params, False) for _ in range(reps)]
        checked = [
            one_round(stage, params, True) for _ in range(reps if size <= CHECKED_UP_TO else 0)
        ]
        for name, _ in PARTS:
            with_checks = _median(checked, name) if checked else None
            wall = _median(bare, name, clock=1)
            rows.append(Row(label, sections, name, _median(bare, name), wall, with_checks))
        broken.update(f"{label} {what}" for _, found in checked for what in found)
    return rows, broken


def report(rows: Sequence[Row]) -> None:
    """The table, then per size the whole lifecycle and its growth against sections."""
    header = (
        ("size", 7),
        ("sections", 8),
        ("model CPU s", 20),
        ("us/section", 10),
        ("+invariants s", 13),
    )
    print(" ".join(f"{text:>{width}}" for text, width in header))
    for r in rows:
        per = r.seconds / r.sections * 1e6
        checked = "not run" if r.checked is None else f"{r.checked:.4f}"
        print(
            f"{r.size:>7} {r.sections:>8} {r.part:<10} {r.seconds:>9.4f} {per:>10.1f} {checked:>13}"
        )
    totals = {}
    for label, _ in SIZES:
        mine = [r for r in rows if r.size == label]
        totals[label] = (mine[0].sections, sum(r.seconds for r in mine), sum(r.wall for r in mine))
    first_sections, first_time, _ = totals[SIZES[0][0]]
    print()
    for label, (sections, seconds, wall) in totals.items():
        growth = seconds / first_time
        scale = sections / first_sections
        verdict = "ok" if growth <= scale else "grows faster than sections"
        print(
            f"{label:>7}: lifecycle {seconds:.3f} s CPU ({wall:.3f} s wall); x{growth:.1f} the "
            f"2 GiB time for x{scale:.0f} the sections ({verdict})"
        )
    whole = totals[SIZES[-1][0]][1]
    met = "met" if whole < TARGET_SECONDS else "NOT met"
    print(f"target: 1 TiB lifecycle under {TARGET_SECONDS:.0f} s CPU: {met}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--stage", type=int, help="default: the series' last patch")
    args = parser.parse_args(argv)
    series = load_series(str(REFERENCE_MANIFEST), offline=True)
    stages = series_model(series, model_name(str(REFERENCE_MANIFEST)))
    stage = stages[-1] if args.stage is None else stages[args.stage]
    rows, broken = measure(stage, args.reps)
    report(rows)
    print(
        f"stage {stage.number}; invariants broken on the way: {', '.join(sorted(broken)) or 'none'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
