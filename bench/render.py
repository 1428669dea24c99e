"""Time Graphviz from PyPI (patchscope.graph.render) and the report around it.

Run by hand, never by pytest: `python bench/render.py [--reps K] [--before REV --dot PROGRAM]`.

- The reference series' graph.dot drawn by each engine the report uses: the first call in
  a new process with an empty cache (the module is compiled), a new process whose cache
  holds the compiled module, and a drawing in a process that has drawn before.
- `patchscope report` of the reference series as a subprocess (start-up counts), with an
  empty cache and with a warm one; with `--before REV`, side by side with that revision's
  report in a git worktree, which calls the `dot` program given by `--dot` (REV's code
  looks for `dot` on PATH, so a folder holding only that link is put first on PATH).

Every figure is CPU seconds (user + system, every thread: the machines here are shared, and
their load moves wall-clock times far more), the median of K runs. HOME, XDG_CACHE_HOME and
PATCHSCOPE_CACHE_DIR point at temporary folders; nothing outside them and the worktree
(removed after) is written.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
MANIFEST = ROOT / "series" / "memmap-hotadd-rfc-v2.toml"
# One process draws graph.dot three times: `dot` (the first call: the module is compiled or
# loaded), `dot` again, then `sfdp`; it prints the CPU seconds of each drawing alone.
_DRAW = """
import sys, time
from patchscope.graph.render import render_svg
dot = open(sys.argv[1]).read()
for name, engine in (("first", "dot"), ("dot", "dot"), ("sfdp", "sfdp")):
    start = time.process_time()
    render_svg(dot, engine)
    print(name, time.process_time() - start)
"""


def _env(cache: Path, root: Path = ROOT, path: str | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(root), "HOME": str(cache.parent)}
    env |= {"XDG_CACHE_HOME": str(cache), "PATCHSCOPE_CACHE_DIR": str(cache / "patchscope")}
    if path is not None:
        env["PATH"] = path
    return env


def _seconds(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    """The CPU seconds (user + system) the command took: a shared machine's load changes
    its wall-clock time far more."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _draws(dot: Path, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _DRAW, str(dot)], env=env, check=True, capture_output=True, text=True
    )
    return {line.split()[0]: float(line.split()[1]) for line in done.stdout.splitlines()}


def bench_render(dot: Path, reps: int, scratch: Path) -> None:
    cold: list[dict[str, float]] = []
    warm: list[dict[str, float]] = []
    for rep in range(reps):
        env = _env(scratch / f"render-{rep}")
        cold.append(_draws(dot, env))  # compiles, then stores the module
        warm.append(_draws(dot, env))  # loads the stored module

    def median(runs: list[dict[str, float]], name: str) -> float:
        return statistics.median(run[name] for run in runs)

    print(
        f"graph.dot of the reference series ({dot.stat().st_size} bytes), CPU s, median of {reps}:"
    )
    print(f"  dot, first call, empty cache (compiles)  {median(cold, 'first'):6.3f} s")
    print(f"  dot, first call, cache warm (loads)      {median(warm, 'first'):6.3f} s")
    print(f"  dot, later call                          {median(cold + warm, 'dot'):6.3f} s")
    print(f"  sfdp, later call (the page's picture)    {median(cold + warm, 'sfdp'):6.3f} s")


def bench_report(reps: int, scratch: Path, before: str | None, dot_program: str | None) -> None:
    script = [sys.executable, "-m", "patchscope.cli", "report", str(MANIFEST), "--offline"]
    rows: dict[str, list[float]] = {"empty cache": [], "warm cache": []}
    for rep in range(reps):
        env = _env(scratch / f"report-{rep}")
        rows["empty cache"].append(_seconds([*script, "-o", str(scratch / "r1")], env))
        rows["warm cache"].append(_seconds([*script, "-o", str(scratch / "r2")], env))
    if before is not None and dot_program is not None:
        tree = scratch / "before"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(tree), before], check=True)
        try:
            links = scratch / "dot-bin"
            links.mkdir()
            (links / "dot").symlink_to(Path(dot_program).resolve())
            env = _env(scratch / "report-before", tree, f"{links}:{os.environ['PATH']}")
            command = [*script[:3], "report", str(MANIFEST), "--offline", "-o"]
            rows[f"{before[:10]} (system dot)"] = [
                _seconds([*command, str(scratch / f"b{rep}")], env, tree) for rep in range(reps)
            ]
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], check=True)
    print(f"patchscope report of the reference series, a subprocess, CPU s, median of {reps}:")
    for name, times in rows.items():
        print(f"  {name:30} {statistics.median(times):6.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--before", help="an earlier revision, whose report calls a system dot")
    parser.add_argument("--dot", help="the dot program the earlier revision runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patchscope-bench-") as folder:
        scratch = Path(folder)
        env = _env(scratch / "dot-source")
        out = scratch / "reference"
        subprocess.run(
            [sys.executable, "-m", "patchscope.cli", "report", str(MANIFEST), "-o", str(out)],
            env=env,
            check=True,
            capture_output=True,
        )
        bench_render(out / "graph.dot", args.reps, scratch)
        bench_report(args.reps, scratch, args.before, args.dot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
