"""Time `patchscope stat --json` against b4, `git apply --numstat` and a bare unidiff parse.

Run by hand, never by pytest: `python bench/stat.py [--patches N] [--reps K]`.
Every command runs as a subprocess (start-up counts), several times, and the
median is reported; the unidiff baseline runs in-process, as a library user
would call it. Nothing outside `bench/out/` and temporary folders is written,
and HOME points at a temporary folder so b4 and git never see the user's files.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from unidiff.patch import PatchSet

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
REFERENCE = BENCH.parent.parent / "shared" / "series" / "memmap-hotadd-rfc-v2" / "thread.mbox"
REFERENCE_ID = "20190122103708.11043-1-osalvador@suse.de"
HEAVY_IMPORTS = ("pandas", "networkx", "tree_sitter")
# A format-patch mail's diff runs from its first `diff --git` line to the `-- ` signature.
DIFF_PART = re.compile(r"^diff --git .*?(?=^-- \n)", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class Row:
    """One line of the result table."""

    input: str
    command: str
    megabytes: float
    seconds: float
    ratio: str = ""
    target: str = ""
    met: str = ""

    @property
    def rate(self) -> float:
        return self.megabytes / self.seconds


def _script(name: str) -> str:
    """The installed console script itself, not a pyenv shim that would add its own start-up."""
    path = Path(sysconfig.get_path("scripts"), name)
    return str(path) if path.exists() else name


def _median_time(run: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class Sandbox:
    """A temporary HOME, cache and working folder shared by every command of one run.

    Bytecode is cached under the sandbox even where PYTHONDONTWRITEBYTECODE is set,
    so start-up is timed as an installed tool starts, not recompiling every module.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env = {
            **inherited,
            "PYTHONPYCACHEPREFIX": str(root / "pycache"),
            "HOME": str(root),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_CACHE_HOME": str(root / "cache"),
            "XDG_DATA_HOME": str(root / "data"),
            "PATCHSCOPE_CACHE_DIR": str(root / "cache" / "patchscope"),
            "GIT_CONFIG_NOSYSTEM": "1",
        }

    def run(
        self, argv: Sequence[str], feed: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            list(argv), cwd=self.root, env=self.env, input=feed, capture_output=True, check=False
        )

    def checked(
        self, argv: Sequence[str], ok: Sequence[int] = (0,), feed: bytes | None = None
    ) -> bytes:
        """Run once and stop the bench with the command's own message if it failed."""
        try:
            done = self.run(argv, feed)
        except OSError as failure:  # b4 or git not installed
            sys.exit(f"bench: cannot run {argv[0]}: {failure.strerror}")
        if done.returncode not in ok:
            error = done.stderr.decode(errors="replace").strip().splitlines()
            last = error[-1] if error else "no message"
            sys.exit(f"bench: {' '.join(argv[:3])} ... exited {done.returncode}: {last}")
        return done.stdout

    def timed(
        self, argv: Sequence[str], reps: int, ok: Sequence[int] = (0,), feed: bytes | None = None
    ) -> tuple[float, bytes]:
        """The median time, and the output of a first warm-up run that must succeed."""
        output = self.checked(argv, ok, feed)
        return _median_time(lambda: self.run(argv, feed), reps), output


def _stat_argv(mbox: Path) -> list[str]:
    return [_script("patchscope"), "stat", "--json", str(mbox)]


def _findings_line(output: bytes) -> str:
    """What `stat` reported, so a fast but wrong run does not pass unnoticed."""
    report = json.loads(output)
    ok = sum(1 for p in report["patches"] if p["diffstat"]["ok"])
    cover = report["cover"]["diffstat"]["ok"] if report["cover"] else None
    rules = Counter(f["rule"] for f in report["findings"])
    found = ", ".join(f"{rule} x{n}" for rule, n in sorted(rules.items())) or "none"
    return (
        f"{len(report['patches'])} patches, {ok} diffstats ok, cover ok: {cover}; findings: {found}"
    )


def _mb(path: Path) -> float:
    return path.stat().st_size / 1e6


def reference_rows(sandbox: Sandbox, reps: int) -> tuple[list[Row], str]:
    b4, _ = sandbox.timed(
        [_script("b4"), "--offline-mode", "am", "-m", str(REFERENCE), REFERENCE_ID], reps
    )
    ours, output = sandbox.timed(_stat_argv(REFERENCE), reps, ok=(0, 1))
    size = _mb(REFERENCE)
    ratio = ours / b4
    return [
        Row("reference thread", "b4 --offline-mode am -m", size, b4, "1.00 (baseline)"),
        Row(
            "reference thread",
            "patchscope stat --json",
            size,
            ours,
            f"{ratio:.2f} x b4",
            "<= 0.50 x b4",
            _met(ratio <= 0.5),
        ),
    ], _findings_line(output)


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def _say(message: str) -> None:
    """Progress on stderr; the report itself goes to stdout at the end."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def generate(patches: int, seed: int) -> Path:
    """The generator runs as its own script, as a user would run it."""
    out = OUT / f"series-{patches}-s{seed}.mbox"
    argv = [sys.executable, str(BENCH / "gen_mbox.py"), "--patches", str(patches)]
    done = subprocess.run([*argv, "--seed", str(seed), "--out", str(out)], capture_output=True)
    if done.returncode:
        sys.exit(f"bench: gen_mbox.py failed: {done.stderr.decode(errors='replace').strip()}")
    _say(done.stdout.decode().strip())
    return out


def large_rows(sandbox: Sandbox, mbox: Path, ours: float, reps: int) -> list[Row]:
    """The baselines on the diffs of `mbox`, beside patchscope's time `ours` on all of it."""
    diffs = "".join(DIFF_PART.findall(mbox.read_text()))
    raw = diffs.encode()
    git, _ = sandbox.timed(["git", "apply", "--numstat"], reps, feed=raw)
    bare = _median_time(lambda: PatchSet(diffs), reps)
    size, diff_size = _mb(mbox), len(raw) / 1e6
    name = f"{mbox.name} (diffs only)"
    return [
        Row(name, "git apply --numstat (C limit)", diff_size, git, "1.00 (baseline)"),
        Row(name, "unidiff.PatchSet (Python baseline)", diff_size, bare, f"{bare / git:.1f} x git"),
        Row(
            mbox.name,
            "patchscope stat --json",
            size,
            ours,
            f"{ours / git:.1f} x git, {ours / bare:.2f} x unidiff",
            "<= 10 x git",
            _met(ours / git <= 10),
        ),
    ]


@dataclass(frozen=True)
class Timed:
    """patchscope's median time on one generated series, and what its first run found."""

    patches: int
    mbox: Path
    seconds: float
    found: str


def time_stat(sandbox: Sandbox, patches: int, seed: int, reps: int) -> Timed:
    mbox = generate(patches, seed)
    seconds, output = sandbox.timed(_stat_argv(mbox), reps, ok=(0, 1))
    return Timed(patches, mbox, seconds, _findings_line(output))


def scaling_lines(runs: Sequence[Timed]) -> list[str]:
    """Per-patch time at growing sizes: linear growth keeps it flat."""
    lines = [f"{'patches':>8} {'MB':>7} {'median s':>9} {'ms/patch':>9}"]
    for r in runs:
        ms = 1000 * r.seconds / r.patches
        lines.append(f"{r.patches:>8} {_mb(r.mbox):>7.1f} {r.seconds:>9.2f} {ms:>9.2f}")
    first, last = runs[0], runs[-1]
    growth = (last.seconds / last.patches) / (first.seconds / first.patches)
    verdict = _met(growth <= 1.3)
    lines.append(
        f"ms/patch at {last.patches} / at {first.patches}: {growth:.2f} (target <= 1.30, {verdict})"
    )
    return lines


@dataclass(frozen=True)
class Import:
    """One line of `python -X importtime`, with the module that imported it."""

    name: str
    self_us: int
    cumulative_us: int
    parent: str | None


def parse_importtime(stderr: str) -> list[Import]:
    """Lines read "import time: SELF | CUMULATIVE | NAME", NAME indented two spaces a level.

    A module is printed after everything it imported, so a line adopts the deeper
    lines still waiting above it (no library reads this format).
    """
    rows: list[tuple[str, int, int, int]] = []
    for line in stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            name = parts[2].rstrip()
            level = (len(name) - len(name.lstrip()) - 1) // 2
            rows.append((name.strip(), int(parts[0]), int(parts[1]), level))
    parents: dict[int, str] = {}
    waiting: list[tuple[int, int]] = []  # (level, row index)
    for i, (name, _, _, level) in enumerate(rows):
        while waiting and waiting[-1][0] > level:
            parents[waiting.pop()[1]] = name
        waiting.append((level, i))
    return [Import(n, s, c, parents.get(i)) for i, (n, s, c, _) in enumerate(rows)]


def _ours(name: str | None) -> bool:
    return name is not None and name.split(".")[0] == "patchscope"


def import_lines(sandbox: Sandbox, top: int) -> list[str]:
    """What one `stat` run imports: heavy libraries, and where the start-up time goes."""
    argv = ["stat", "--json", str(REFERENCE)]
    code = f"import sys; from patchscope.cli import main; sys.exit(main({argv!r}))"
    imports = parse_importtime(
        sandbox.run([sys.executable, "-X", "importtime", "-c", code]).stderr.decode()
    )
    heavy = [h for h in HEAVY_IMPORTS if any(i.name.split(".")[0] == h for i in imports)]
    total = sum(i.cumulative_us for i in imports if i.parent is None) / 1000
    # Outside patchscope, count each library once: where patchscope (or start-up) pulls it in.
    pulled = [i for i in imports if not _ours(i.name) and (i.parent is None or _ours(i.parent))]
    own = [i for i in imports if _ours(i.name)]
    lines = [f"heavy imports ({', '.join(HEAVY_IMPORTS)}): {', '.join(heavy) or 'none'}"]
    lines.append(f"{len(imports)} modules, {total:.0f} ms of imports; costliest from outside:")
    for i in sorted(pulled, key=lambda i: -i.cumulative_us)[:top]:
        lines.append(f"  {i.cumulative_us / 1000:7.1f} ms  {i.name} (via {i.parent or 'start-up'})")
    lines.append("patchscope's own modules, by their own (self) time:")
    for i in sorted(own, key=lambda i: -i.self_us)[:top]:
        lines.append(f"  {i.self_us / 1000:7.1f} ms  {i.name}")
    return lines


def table(rows: Sequence[Row]) -> list[str]:
    head = ("input", "command", "MB", "median s", "MB/s", "ratio", "target", "")
    cells = [head] + [
        (
            r.input,
            r.command,
            f"{r.megabytes:.2f}",
            f"{r.seconds:.3f}",
            f"{r.rate:.1f}",
            r.ratio,
            r.target,
            r.met,
        )
        for r in rows
    ]
    return aligned(cells)


def aligned(cells: Sequence[Sequence[str]]) -> list[str]:
    """Rows of text cells as left-aligned columns (the first row is the header)."""
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=2000, help="size of the large series")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each timing")
    args = parser.parse_args(argv)
    sizes = sorted({max(1, args.patches // 4), max(1, args.patches // 2), args.patches})
    if not REFERENCE.is_file():
        sys.exit(f"bench: no reference thread at {REFERENCE}")
    with tempfile.TemporaryDirectory(prefix="patchscope-bench-") as tmp:
        sandbox = Sandbox(Path(tmp))
        _say("timing b4 and patchscope on the reference thread")
        ref_rows, ref_found = reference_rows(sandbox, args.reps)
        runs = [time_stat(sandbox, n, args.seed, args.reps) for n in sizes]
        large = runs[-1]
        _say("timing git apply --numstat and unidiff")
        rows = ref_rows + large_rows(sandbox, large.mbox, large.seconds, args.reps)
        report = [*table(rows), "", f"reference thread: {ref_found}"]
        report += [f"{large.mbox.name}: {large.found}", "", "scaling of patchscope stat --json:"]
        report += scaling_lines(runs)
        report += ["", "start-up of patchscope stat (python -X importtime, reference thread):"]
        report += import_lines(sandbox, top=8)
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
