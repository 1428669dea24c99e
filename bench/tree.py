"""Time `patchscope check --tree` on Debian's whole Linux 6.1 tree against checkpatch.pl.

Run by hand from the repository's top, never by pytest:
`python -m bench.tree [--reps K] [--tree DIR] [--corpus NAME]`. Without `--tree` the whole
of /usr/src/linux-source-6.1.tar.xz is unpacked into a temporary folder and git records it
as one commit (a few minutes); `--tree DIR` reuses a tree unpacked before (`git:DIR@HEAD`
is timed too when DIR is a git repository). checkpatch.pl and get_maintainer.pl run in the
tree on the reference thread's four patch mails; patchscope reads the thread.

Cold: an empty cache. Warm: the tree's index built by a check of another series (a corpus
series), then the reference timed K rounds, every command in turn each round.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.check import check_summary, checkpatch_summary, patch_mails
from bench.startup import timed_rounds
from bench.stat import REFERENCE, Sandbox, _met, _say, _script, aligned
from tests.integration.linux61 import TARBALL, UNTAR

CORPUS = REFERENCE.parent.parent.parent / "corpus"
OTHER = "memory-hotplug-do-migrate-range-v2.mbox"  # the series that warms the cache
OFFLINE = ("--offline", "--json")
TARGET = 0.5  # warm check --tree at most half of checkpatch.pl's time in the tree


def whole_tree(dest: Path) -> Path:
    """All of the tarball in `dest`, recorded by git as one commit."""
    dest.mkdir(parents=True)
    _say(f"unpacking {TARBALL.name} (whole) and committing it")
    subprocess.run([*UNTAR, str(TARBALL), "-C", str(dest), "--strip-components=1"], check=True)
    for argv in (
        ["init", "-q", "-b", "linux-6.1"],
        ["add", "-A", "-f"],  # Debian's .gitignore ignores every top-level entry
        ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "6.1"],
    ):
        subprocess.run(["git", "-C", str(dest), *argv], check=True)
    return dest


def patchscope_check(source: Path, tree: str, *extra: str) -> list[str]:
    command = [_script("patchscope"), "check", str(source), "--tree", tree]
    return [*command, *OFFLINE, *extra]


def cold(sandbox: Sandbox, argv: list[str]) -> tuple[float, bytes]:
    """Seconds of one run with no tree index, and its output."""
    shutil.rmtree(Path(sandbox.env["PATCHSCOPE_CACHE_DIR"]) / "tree-index", ignore_errors=True)
    start = time.perf_counter()
    output = sandbox.checked(argv, ok=(0, 1))
    return time.perf_counter() - start, output


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="rounds of warm timing")
    parser.add_argument("--tree", type=Path, help="a Linux 6.1 tree unpacked before")
    parser.add_argument("--corpus", default=OTHER, help="the corpus series that warms the cache")
    args = parser.parse_args(argv)
    other = CORPUS / args.corpus
    with tempfile.TemporaryDirectory(prefix="patchscope-bench-") as tmp:
        sandbox = Sandbox(Path(tmp))
        tree = args.tree.resolve() if args.tree else whole_tree(Path(tmp) / "linux")
        mails = [str(m) for m in patch_mails(REFERENCE, Path(tmp) / "patches")]
        perl = ["env", "-C", str(tree), "perl"]
        commands = {
            "checkpatch.pl (in the tree, 4 mails)": [*perl, "scripts/checkpatch.pl", *mails],
            "get_maintainer.pl (same)": [*perl, "scripts/get_maintainer.pl", *mails],
            "check, no tree": [_script("patchscope"), "check", str(REFERENCE), *OFFLINE],
            "check --tree DIR": patchscope_check(REFERENCE, str(tree)),
            "check --tree DIR --no-model": patchscope_check(REFERENCE, str(tree), "--no-model"),
        }
        if (tree / ".git").is_dir():
            commands["check --tree git:DIR@HEAD"] = patchscope_check(REFERENCE, f"git:{tree}@HEAD")
        _say("cold: the reference with an empty cache, then the other series")
        cold_ref, cold_out = cold(sandbox, commands["check --tree DIR"])
        cold_other, _ = cold(sandbox, patchscope_check(other, str(tree)))
        found = {
            name: (checkpatch_summary if "checkpatch" in name else check_summary)(
                sandbox.checked(command, ok=(0, 1))
            )
            for name, command in commands.items()
            if "get_maintainer" not in name
        }
        warm_out = sandbox.checked(commands["check --tree DIR"], ok=(0, 1))
        _say(f"warm (index built by {other.name}): {len(commands)} commands, {args.reps} rounds")
        medians = timed_rounds(sandbox, list(commands.values()), args.reps)
        times = dict(zip(commands, medians, strict=True))
    base_wall, base_cpu = times["checkpatch.pl (in the tree, 4 mails)"]
    rows = [["command", "wall s", "CPU s", "ratio wall", "ratio CPU", "target", ""]]
    for name, (wall, cpu) in times.items():
        held = name.startswith("check --tree DIR")
        rows.append([name, f"{wall:.2f}", f"{cpu:.2f}", f"{wall / base_wall:.2f}"])
        rows[-1] += [f"{cpu / base_cpu:.2f}", f"<= {TARGET}" if held else ""]
        rows[-1].append(_met(max(wall / base_wall, cpu / base_cpu) <= TARGET) if held else "")
    report = [
        *aligned(rows),
        "",
        f"cold (no index): the reference {cold_ref:.1f} s ({cold_ref / base_wall:.1f} x"
        f" checkpatch), {other.name} {cold_other:.1f} s; warm output equals cold:"
        f" {warm_out == cold_out}",
        "what each first run found:",
        *(f"  {name}: {summary}" for name, summary in found.items()),
    ]
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
