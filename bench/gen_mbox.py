"""Generate a large, realistic, deterministic patch-series mbox for the stat benchmark.

The series is built through a real git repository so that every diffstat, hunk
header and the cover letter's cumulative diffstat are exactly what git writes:
a seeded random walk edits C-like files, `git fast-import` records one commit
per patch (fast enough for thousands of commits), and `git format-patch`
writes the mails. Only the message ids are added by hand, because format-patch
derives its own from the wall clock and the output must be byte-identical for
the same seed.

Run by hand: `python bench/gen_mbox.py --patches 2000` writes `bench/out/`.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "out"

SENDER = "Bench Sender <sender@example.org>"
AUTHORS = (
    ("Bench Sender", "sender@example.org"),
    ("Ada Hacker", "ada@example.org"),
    ("Linus Mm", "linus.mm@example.com"),
)
REVIEWERS = ("Rita Reviewer <rita@example.net>", "Tom Tester <tom@example.net>")
EPOCH = 1_700_000_000  # fixed author dates: the mails must not depend on the clock

# Kernel-like folders; the long ones make git shorten paths to `.../tail` at --stat=80.
FOLDERS = (
    "mm",
    "mm",
    "include/linux",
    "arch/x86/mm",
    "arch/powerpc/mm/book3s64",
    "arch/s390/mm",
    "arch/arm64/mm",
    "drivers/base",
    "kernel",
    "drivers/gpu/drm/amd/display/dc/dml/dcn20/dcn20_fpu_helpers",
)
WORDS = (
    "page", "pfn", "zone", "node", "section", "memmap", "vmemmap", "altmap", "hotplug",
    "online", "offline", "block", "range", "buddy", "pgdat", "isolate", "migrate", "pcp",
    "resource", "nid", "order", "span", "init", "free", "alloc", "populate", "check",
)  # fmt: skip
TYPES = ("page", "zone", "vmem_altmap", "mem_section", "pglist_data", "memory_block")
VERBS = ("rework", "simplify", "fix", "introduce", "drop", "rename", "split", "factor out")

MBOX_FROM = re.compile(r"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\n", re.MULTILINE)


@dataclass(frozen=True)
class Shape:
    """How big each patch is; the defaults give about 13 KB of mail per patch."""

    files_per_patch: tuple[int, int] = (2, 4)
    hunks_per_file: tuple[int, int] = (3, 7)
    removed_per_hunk: tuple[int, int] = (0, 5)
    added_per_hunk: tuple[int, int] = (1, 10)
    base_lines: tuple[int, int] = (180, 420)
    # False: no file is touched twice, so the cover's diffstat is the patches' sum.
    reuse_files: bool = True


class _Text:
    """Seeded C-like source lines; a counter keeps new lines distinct from old ones."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0

    def ident(self) -> str:
        self.serial += 1
        return f"{self.rng.choice(WORDS)}_{self.rng.choice(WORDS)}_{self.serial}"

    def statement(self) -> str:
        r = self.rng
        a, b = self.ident(), self.ident()
        return r.choice(
            (
                f"\t{a} = {b}(pfn, nr_pages);",
                f"\tif (!{a})\n\t\treturn -EINVAL;",
                f"\tret = {a}(zone, {b}, altmap);",
                f"\tnr_pages -= {a}(start_pfn + {r.randrange(512)});",
                f'\tpr_debug("%s: {a} %lu\\n", __func__, {b});',
                f"\tlist_for_each_entry({a}, &{b}->list, lru)\n\t\t{b}_put({a});",
                f"\tspin_lock_irqsave(&{a}->lock, flags);",
                f"\tspin_unlock_irqrestore(&{a}->lock, flags);",
                f"\tWARN_ON_ONCE({a} & (PAGES_PER_SECTION - 1));",
                f"\t/* {a} must not span two sections */",
            )
        )

    def function(self) -> list[str]:
        r = self.rng
        name, kind = self.ident(), r.choice(TYPES)
        body = "\n".join(self.statement() for _ in range(r.randint(4, 12))).split("\n")
        return [
            f"static int {name}(struct {kind} *{kind}, unsigned long nr_pages)",
            "{",
            "\tunsigned long flags;",
            "\tint ret = 0;",
            "",
            *body,
            "\treturn ret;",
            "}",
            "",
        ]

    def file(self, path: str, lines: int) -> list[str]:
        out = ["// SPDX-License-Identifier: GPL-2.0", f"/* {path} */", "#include <linux/mm.h>", ""]
        while len(out) < lines:
            out += self.function()
        return out

    def prose(self, sentences: int) -> list[str]:
        r = self.rng
        lines, line = [], ""
        for word in (r.choice(WORDS) for _ in range(sentences * 11)):
            if len(line) + len(word) >= 72:
                lines.append(line)
                line = ""
            line = f"{line} {word}" if line else word
        return [*lines, line]


def _paths(rng: random.Random, count: int) -> list[str]:
    """`count` distinct kernel-like file paths."""
    paths: set[str] = set()
    while len(paths) < count:
        folder = rng.choice(FOLDERS)
        suffix = ".h" if folder == "include/linux" else ".c"
        paths.add(f"{folder}/{rng.choice(WORDS)}_{rng.choice(WORDS)}_{len(paths)}{suffix}")
    return sorted(paths)


def _edit(text: _Text, lines: list[str], shape: Shape) -> list[str]:
    """Several separated replacements, as a patch with a few hunks makes them."""
    r = text.rng
    hunks = r.randint(*shape.hunks_per_file)
    step = max(1, len(lines) // hunks)
    out: list[str] = []
    for i in range(hunks):
        chunk = lines[i * step : (i + 1) * step] if i < hunks - 1 else lines[i * step :]
        at = r.randrange(len(chunk) + 1)
        cut = min(r.randint(*shape.removed_per_hunk), len(chunk) - at)
        new = "\n".join(text.statement() for _ in range(r.randint(*shape.added_per_hunk)))
        out += chunk[:at] + new.split("\n") + chunk[at + cut :]
    return out


def _data(payload: str) -> bytes:
    raw = payload.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def _commit(ref: str, mark: int, who: tuple[str, str], when: int, message: str) -> bytes:
    ident = f"{who[0]} <{who[1]}> {when} +0000"
    head = f"commit {ref}\nmark :{mark}\nauthor {ident}\ncommitter {SENDER} {when} +0000\n"
    parent = f"from :{mark - 1}\n" if mark > 1 else ""
    return head.encode() + _data(message) + parent.encode()


def _modify(path: str, lines: list[str]) -> bytes:
    return f"M 100644 inline {path}\n".encode() + _data("\n".join(lines) + "\n")


def _message(text: _Text, index: int, author: tuple[str, str], first: str) -> str:
    r = text.rng
    area = first.rpartition("/")[0].removeprefix("arch/")
    subject = f"{area}: {r.choice(VERBS)} {text.ident()}"
    body = "\n".join(text.prose(r.randint(3, 8)))
    tags = [f"Signed-off-by: {author[0]} <{author[1]}>"]
    if r.random() < 0.3:
        tags.insert(0, f"Reviewed-by: {r.choice(REVIEWERS)}")
    if author[1] not in SENDER:
        tags.append(f"Signed-off-by: {SENDER}")
    return f"{subject} (#{index})\n\n{body}\n\n" + "\n".join(tags) + "\n"


def fast_import_stream(patches: int, seed: int, shape: Shape) -> Iterator[bytes]:
    """The commands that build `refs/heads/base` and `patches` commits on top of it."""
    rng = random.Random(seed)
    text = _Text(rng)
    pool = patches + 8 if shape.reuse_files else patches * shape.files_per_patch[1]
    tree = {p: text.file(p, rng.randint(*shape.base_lines)) for p in _paths(rng, pool)}
    choosable = sorted(tree)
    yield _commit("refs/heads/base", 1, AUTHORS[0], EPOCH, "base tree\n")
    for path, lines in tree.items():
        yield _modify(path, lines)
    yield b"\n"
    for i in range(1, patches + 1):
        author = rng.choice(AUTHORS)
        paths = rng.sample(choosable, rng.randint(*shape.files_per_patch))
        if not shape.reuse_files:
            choosable = [p for p in choosable if p not in paths]
        message = _message(text, i, author, paths[0])
        yield _commit("refs/heads/bench", i + 1, author, EPOCH + 60 * i, message)
        for path in paths:
            tree[path] = _edit(text, tree[path], shape)
            yield _modify(path, tree[path])
        yield b"\n"


def _git_env(home: str) -> dict[str, str]:
    """Fixed identity and clock, and no user configuration read or written."""
    return {
        **os.environ,
        "HOME": home,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_COMMITTER_NAME": "Bench Sender",
        "GIT_COMMITTER_EMAIL": "sender@example.org",
        "GIT_COMMITTER_DATE": f"{EPOCH} +0000",
        "GIT_AUTHOR_DATE": f"{EPOCH} +0000",
    }


def _with_ids(mails: str, patches: int, seed: int) -> str:
    """Thread the mails as git send-email does, with ids that depend only on the seed."""
    parts = MBOX_FROM.split(mails)
    seps = MBOX_FROM.findall(mails)
    cover_id = f"<bench-{seed}-{patches}-0@patchscope.invalid>"
    out = []
    for n, (sep, mail) in enumerate(zip(seps, parts[1:], strict=True)):
        ids = f"Message-Id: <bench-{seed}-{patches}-{n}@patchscope.invalid>\n"
        if n:
            ids += f"In-Reply-To: {cover_id}\nReferences: {cover_id}\n"
        head, _, body = mail.partition("\n\n")
        out.append(f"{sep}{head}\n{ids}\n{body}")
    return "".join(out)


def _cover(mails: str, patches: int) -> str:
    """Fill the two placeholders of format-patch's cover; its diffstat is already git's."""
    title = f"mm: a generated series of {patches} patches for the stat benchmark"
    blurb = "Generated by bench/gen_mbox.py; every diffstat in it is git's own."
    mails = mails.replace("*** SUBJECT HERE ***", title, 1)
    return mails.replace("*** BLURB HERE ***", blurb, 1)


def generate(patches: int, seed: int, out: Path, shape: Shape | None = None) -> Path:
    """Write an mbox of a cover letter and `patches` patches to `out`; return `out`."""
    if patches < 1:
        raise ValueError("a series needs at least one patch")
    with tempfile.TemporaryDirectory(prefix="patchscope-bench-") as tmp:
        env = _git_env(tmp)
        repo = Path(tmp, "repo")

        def git(*args: str, feed: bytes | None = None) -> str:
            done = subprocess.run(
                ["git", "-C", str(repo), *args],
                env=env,
                input=feed,
                capture_output=True,
                check=True,
            )
            return done.stdout.decode()

        subprocess.run(["git", "init", "-q", str(repo)], env=env, check=True)
        git(
            "fast-import",
            "--quiet",
            feed=b"".join(fast_import_stream(patches, seed, shape or Shape())),
        )
        mails = git(
            "format-patch",
            "--stdout",
            "--cover-letter",
            "--stat=80",
            f"--from={SENDER}",
            "base..bench",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_with_ids(_cover(mails, patches), patches, seed))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="default: bench/out/series-N-sSEED.mbox")
    parser.add_argument(
        "--distinct-files", action="store_true", help="never touch a file in two patches"
    )
    args = parser.parse_args(argv)
    out = args.out or OUT_DIR / f"series-{args.patches}-s{args.seed}.mbox"
    generate(args.patches, args.seed, out, Shape(reuse_files=not args.distinct_files))
    print(f"{out}: {args.patches} patches, {out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
