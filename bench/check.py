"""Time `patchscope check` on the reference series against `checkpatch.pl --no-tree`.

Run by hand from the repository's top, never by pytest: `python -m bench.check [--reps K]`.
checkpatch comes from Debian's linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz): the
script and the two files it reads beside itself are unpacked into a temporary folder.
It reads the reference thread's four patch mails, one file each, in one run; patchscope
reads the whole thread. Both run as subprocesses (start-up counts) in the stat bench's
sandbox, once to check they work, then in turn, K rounds; the table shows the medians.
`check --no-model` is the git hooks' path and is held to the ratio; plain `check` adds the
model's findings (a manifest in series/ names the thread) and is held to MODEL_SECONDS.
"""

from __future__ import annotations

import argparse
import json
import mailbox
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.graph import interleaved
from bench.stat import REFERENCE, Sandbox, _met, _say, _script
from patchscope.pipeline import load_series
from tests.integration.linux61 import TARBALL, unpack

# checkpatch.pl finds these beside itself; without them it warns and skips those checks
CHECKPATCH_FILES = (
    "scripts/checkpatch.pl",
    "scripts/spelling.txt",
    "scripts/const_structs.checkpatch",
)
TOTAL = re.compile(rb"^total: (\d+) errors, (\d+) warnings", re.MULTILINE)
TARGET = 0.5  # patchscope check --no-model at most half of checkpatch's time
MODEL_SECONDS = 5.0  # check with the model's findings, on a 2-core machine


def checkpatch(root: Path) -> Path:
    """The unpacked checkpatch.pl, unpacking it (and its two data files) when missing."""
    script = root / "linux" / CHECKPATCH_FILES[0]
    if not script.is_file():
        if not TARBALL.is_file():
            sys.exit(f"bench: {TARBALL} is missing (apt-get install linux-source-6.1)")
        _say(f"unpacking checkpatch.pl from {TARBALL.name}")
        unpack(TARBALL, root / "linux", list(CHECKPATCH_FILES))
    return script


def patch_mails(mbox: Path, out: Path) -> list[Path]:
    """Each patch of the series patchscope analyses, as the raw mail the list carried."""
    wanted = [p.message_id for p in load_series(str(mbox)).patches]
    raw = {
        message["Message-ID"].strip().strip("<>"): message.as_bytes()
        for message in mailbox.mbox(str(mbox))
        if message["Message-ID"]
    }
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for number, msgid in enumerate(wanted, 1):
        path = out / f"{number:04d}.patch"
        path.write_bytes(raw[msgid.strip("<>")])
        files.append(path)
    return files


def checkpatch_summary(output: bytes) -> str:
    totals = [(int(e), int(w)) for e, w in TOTAL.findall(output)]
    errors, warnings = sum(e for e, _ in totals), sum(w for _, w in totals)
    return f"{len(totals)} patches read, {errors} errors, {warnings} warnings"


def check_summary(output: bytes) -> str:
    rules = Counter(f["rule"] for f in json.loads(output)["findings"])
    return ", ".join(f"{rule} x{n}" for rule, n in sorted(rules.items())) or "no findings"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="rounds of timing")
    args = parser.parse_args(argv)
    if not REFERENCE.is_file():
        sys.exit(f"bench: no reference thread at {REFERENCE}")
    with tempfile.TemporaryDirectory(prefix="patchscope-bench-") as tmp:
        sandbox = Sandbox(Path(tmp))
        mails = patch_mails(REFERENCE, Path(tmp) / "patches")
        commands = {
            "checkpatch": ["perl", str(checkpatch(Path(tmp))), "--no-tree", "--no-color"]
            + [str(m) for m in mails],
            "patchscope": [
                *(_script("patchscope"), "check", "--offline", "--json", "--no-model"),
                str(REFERENCE),
            ],
            "model": [_script("patchscope"), "check", "--offline", "--json", str(REFERENCE)],
        }
        found = {
            "checkpatch": checkpatch_summary(sandbox.checked(commands["checkpatch"], ok=(0, 1))),
            "patchscope": check_summary(sandbox.checked(commands["patchscope"], ok=(0, 1))),
            "model": check_summary(sandbox.checked(commands["model"], ok=(0, 1))),
        }
        _say(f"timing both, {args.reps} rounds")
        seconds = interleaved(sandbox, commands, args.reps)
    ratio = seconds["patchscope"] / seconds["checkpatch"]
    rows = [
        ("command", "median s", "ratio", "target", "", "found"),
        (
            "checkpatch.pl --no-tree (4 patches)",
            f"{seconds['checkpatch']:.3f}",
            "1.00",
            "",
            "",
            found["checkpatch"],
        ),
        (
            "patchscope check --json --no-model (thread)",
            f"{seconds['patchscope']:.3f}",
            f"{ratio:.2f}",
            f"<= {TARGET:.2f}",
            _met(ratio <= TARGET),
            found["patchscope"],
        ),
        (
            "patchscope check --json (thread, with the model)",
            f"{seconds['model']:.3f}",
            f"{seconds['model'] / seconds['checkpatch']:.2f}",
            f"<= {MODEL_SECONDS:.0f} s",
            _met(seconds["model"] <= MODEL_SECONDS),
            found["model"],
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
