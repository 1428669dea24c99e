"""Time the commands a reviewer runs on every series, where start-up is most of the cost:
`patchscope check` (no tree, no model) against `checkpatch.pl --no-tree`, and `patchscope
stat` against `b4 --offline-mode am`, on the reference thread and on the corpus series of
median size.

Run by hand from the repository's top, never by pytest: `python -m bench.startup [--reps K]
[--against DIR]` (DIR: an earlier checkout, e.g. from `git archive`, timed beside this one).
It needs b4 (the `bench` extra), perl, and Debian's linux-source-6.1 for checkpatch.pl (see
bench/check.py). Every command is a subprocess in the stat bench's sandbox, run once to check
it works, then all in turn, K rounds; the table shows each one's median wall time and the
median CPU time (user + system) of its process, which a busy machine disturbs less.

A second table splits each patchscope run's CPU time three ways, from processes timed in
the same rounds: the interpreter and its site packages (`python -c pass`), the imports a
command's module makes (a process that only imports it, less the first), and the work
(the command, less the second: its argument parser, the imports it makes lazily, the run,
the git it starts and the interpreter's exit). The CPU of a child a command waits for is
counted in the command's.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.check import check_summary, checkpatch, checkpatch_summary, patch_mails
from bench.stat import REFERENCE, Sandbox, _findings_line, _met, _say, _script, aligned
from patchscope.pipeline import load_series

CORPUS = REFERENCE.parents[2] / "corpus"
TARGET = 0.4  # each patchscope command at most 0.4 x its baseline (issue 13.3)


def median_series(folder: Path) -> Path:
    """The corpus mbox of median size in bytes (the lower one of an even count)."""
    boxes = sorted(folder.glob("*.mbox"), key=lambda p: (p.stat().st_size, p.name))
    if not boxes:
        sys.exit(f"bench: no corpus mboxes in {folder}")
    return boxes[(len(boxes) - 1) // 2]


@dataclass(frozen=True)
class Pair:
    """A patchscope command and the baseline it is held against, on one input."""

    label: str
    baseline: list[str]
    ours: list[str]
    found: tuple[str, str]


def pairs(sandbox: Sandbox, mbox: Path, script: Path) -> list[Pair]:
    series = load_series(str(mbox), offline=True)
    mails = [str(m) for m in patch_mails(mbox, sandbox.root / "patches" / mbox.stem)]
    checkpatch_argv = ["perl", str(script), "--no-tree", "--no-color", *mails]
    check_argv = [_script("patchscope"), "check", "--offline", "--no-model", "--json", str(mbox)]
    b4_argv = [_script("b4"), "--offline-mode", "am", "-m", str(mbox), str(series.message_id)]
    stat_argv = [_script("patchscope"), "stat", "--offline", "--json", str(mbox)]
    sandbox.checked(b4_argv)  # b4 writes its .mbx and .cover into the sandbox
    return [
        Pair(
            f"check {mbox.stem} ({len(mails)} patches)",
            checkpatch_argv,
            check_argv,
            (
                checkpatch_summary(sandbox.checked(checkpatch_argv, ok=(0, 1))),
                check_summary(sandbox.checked(check_argv, ok=(0, 1))),
            ),
        ),
        Pair(
            f"stat {mbox.stem}",
            b4_argv,
            stat_argv,
            ("", _findings_line(sandbox.checked(stat_argv, ok=(0, 1)))),
        ),
    ]


def import_argv(command: str) -> list[str]:
    """A process that imports what `patchscope COMMAND` imports before it starts working."""
    load = "import importlib, patchscope.cli as c; importlib.import_module(c.COMMANDS[{!r}][0])"
    return [sys.executable, "-c", load.format(command)]


def breakdown(
    found: Sequence[Pair], ours: Sequence[float], floor: float, imports: dict[str, float]
) -> list[str]:
    """Each patchscope run's median CPU seconds as interpreter + imports + work."""
    rows = [["input", "interpreter+site", "imports", "work", "total"]]
    for p, total in zip(found, ours, strict=True):
        loaded = imports[p.ours[1]]
        parts = [floor, loaded - floor, total - loaded, total]
        rows.append([p.label, *(f"{x:.3f}" for x in parts)])
    return aligned(rows)


def timed_rounds(
    sandbox: Sandbox, commands: Sequence[list[str]], reps: int
) -> list[tuple[float, float]]:
    """(median wall s, median CPU s of the child) per command, all run in turn each round."""
    wall: list[list[float]] = [[] for _ in commands]
    cpu: list[list[float]] = [[] for _ in commands]
    for _ in range(reps):
        for i, argv in enumerate(commands):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            sandbox.run(argv)
            wall[i].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[i].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu, strict=True)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="rounds of timing")
    parser.add_argument(
        "--against", metavar="DIR", help="also time an earlier checkout's patchscope (its top)"
    )
    args = parser.parse_args(argv)
    median = median_series(CORPUS)
    with tempfile.TemporaryDirectory(prefix="patchscope-bench-") as tmp:
        sandbox = Sandbox(Path(tmp))
        script = checkpatch(Path(tmp))
        _say(f"corpus series of median size: {median.name} ({median.stat().st_size:,} bytes)")
        found = [p for mbox in (REFERENCE, median) for p in pairs(sandbox, mbox, script)]
        # the earlier checkout runs through the same console script, its package found first
        earlier = ["env", f"PYTHONPATH={args.against}"] if args.against else None
        runs = [[p.baseline, p.ours] + ([[*earlier, *p.ours]] if earlier else []) for p in found]
        loads = {p.ours[1]: import_argv(p.ours[1]) for p in found}  # the same for both inputs
        for argv in loads.values():
            sandbox.checked(argv)
        parts = [[sys.executable, "-c", "pass"], *loads.values()]
        commands = [argv for run in runs for argv in run] + parts
        _say(f"timing {len(commands)} commands, {args.reps} rounds")
        times = iter(timed_rounds(sandbox, commands, args.reps))
    rows = [["input", "command", "wall s", "CPU s", "ratio wall", "ratio CPU", "target", ""]]
    ours: list[float] = []
    for p, run in zip(found, runs, strict=True):
        base_wall, base_cpu = next(times)
        rows.append([p.label, p.baseline[0] if p.baseline[0] == "perl" else "b4"])
        rows[-1] += [f"{base_wall:.3f}", f"{base_cpu:.3f}", "1.00", "1.00", "", ""]
        for name in ["patchscope", f"patchscope of {args.against}"][: len(run) - 1]:
            wall, cpu = next(times)
            ours += [cpu] if name == "patchscope" else []
            ratio_wall, ratio_cpu = wall / base_wall, cpu / base_cpu
            rows.append(["", name, f"{wall:.3f}", f"{cpu:.3f}"])
            rows[-1] += [f"{ratio_wall:.2f}", f"{ratio_cpu:.2f}", f"<= {TARGET}"]
            rows[-1].append(_met(max(ratio_wall, ratio_cpu) <= TARGET))
    floor = next(times)[1]
    imports = {command: next(times)[1] for command in loads}
    report = [*aligned(rows), "", "where patchscope's CPU seconds go (medians):"]
    report += breakdown(found, ours, floor, imports)
    report += ["", "what each first run found:"]
    for p in found:
        report += [f"  {p.label}: {' | '.join(filter(None, p.found))}"]
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
