"""A generated list archive for `patchscope batch`: many series interleaved, as a month of a list.

Each series is written by `gen_mbox.generate` (real git, so every diffstat is git's), then
given its own message-ids, subjects and version; review replies, chatter without a patch,
and a broken series (a cover whose patches never came) join it. The mails are dealt
round-robin across the series and into several mbox files, so that only the thread
headers (or, for an unthreaded series, the subjects) tell which mail belongs where.

`build_archive` returns what it built, so a test can compute the groups it expects.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from bench.gen_mbox import MBOX_FROM, Shape, generate

SMALL = Shape(files_per_patch=(1, 2), hunks_per_file=(1, 3), base_lines=(40, 90))
FROM_LINE = "From archive@patchscope.invalid Mon Jan  1 00:00:00 2024\n"
_THREAD_HEADERS = re.compile(r"^(Message-Id|In-Reply-To|References): .*\n", re.MULTILINE)
_SUBJECT = re.compile(r"^Subject: .*\n(?:[ \t].*\n)*", re.MULTILINE)


@dataclass(frozen=True)
class Spec:
    """One series of the archive."""

    seed: int
    patches: int = 2
    versions: int = 1  # v1..vN; each later version's cover answers the one before
    replies: int = 0  # review replies to patch 1 of each version
    threaded: bool = True  # False: no Message-Id, In-Reply-To or References at all
    broken: bool = False  # only the cover letter was sent


@dataclass(frozen=True)
class Built:
    """One version of one series as the archive holds it."""

    title: str  # the cover's title
    version: int
    subjects: tuple[str, ...]  # of every mail of this version: cover, patches, replies
    patch_titles: tuple[str, ...]  # patch 1..N's titles
    broken: bool


def build_archive(folder: Path, specs: list[Spec], *, files: int = 2) -> list[Built]:
    """Write `files` mboxes (part-1.mbox, part-2/part-2.mbox, ...) under `folder`."""
    threads: list[list[str]] = []
    built: list[Built] = []
    with tempfile.TemporaryDirectory(prefix="patchscope-archive-") as tmp:
        for spec in specs:
            mails = _mails(generate(spec.patches, spec.seed, Path(tmp, "s.mbox"), SMALL))
            for version in range(1, spec.versions + 1):
                thread, one = _version(spec, version, mails)
                threads.append(thread)
                built.append(one)
    threads.append(_chatter())
    dealt = [m for row in zip_longest(*threads) for m in row if m is not None]
    for n in range(files):
        path = folder / "part-1.mbox" if n == 0 else folder / f"part-{n + 1}" / f"part-{n + 1}.mbox"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(FROM_LINE + m + "\n" for m in dealt[n::files]))
    return built


def _mails(mbox: Path) -> list[str]:
    """The generated mails (cover first), each without its From_ line."""
    return MBOX_FROM.split(mbox.read_text())[1:]


def title_of(spec: Spec) -> str:
    return f"mm: generated series {spec.seed}"


def _version(spec: Spec, version: int, mails: list[str]) -> tuple[list[str], Built]:
    prefix = "PATCH" if version == 1 else f"PATCH v{version}"

    def msgid(n: int | str, v: int = version) -> str:
        return f"<archive-{spec.seed}-v{v}-{n}@patchscope.invalid>"

    out: list[str] = []
    subjects: list[str] = []
    titles: list[str] = []
    for n, mail in enumerate(mails[: 1 if spec.broken else None]):
        head, _, body = mail.partition("\n\n")
        numbering, title = _subject(head).removeprefix("[PATCH ").split("] ", 1)
        subject = f"[{prefix} {numbering}] {title_of(spec) if n == 0 else title}"
        head = _SUBJECT.sub(f"Subject: {subject}\n", _THREAD_HEADERS.sub("", head + "\n"))
        if spec.threaded:
            head += f"Message-Id: {msgid(n)}\n"
            parent = msgid(0) if n else (msgid(0, version - 1) if version > 1 else None)
            if parent:
                head += f"In-Reply-To: {parent}\nReferences: {parent}\n"
        subjects.append(subject)
        if n:
            titles.append(title)
        out.append(f"{head}\n{body}")
    if not spec.broken:
        for r in range(spec.replies):
            subject = f"Re: {_subject(out[1])}"
            head = f"From: Rita Reviewer <rita@example.net>\nSubject: {subject}\n"
            head += "Date: Tue, 2 Jan 2024 10:00:00 +0000\n"
            if spec.threaded:
                head += f"Message-Id: {msgid(f'r{r}')}\nIn-Reply-To: {msgid(1)}\n"
                head += f"References: {msgid(0)} {msgid(1)}\n"
            out.append(f"{head}\n> quoted\n\nReviewed-by: Rita Reviewer <rita@example.net>\n")
            subjects.append(subject)
    built = Built(title_of(spec), version, tuple(sorted(subjects)), tuple(titles), spec.broken)
    return out, built


def _subject(head: str) -> str:
    """The Subject header, unfolded."""
    match = _SUBJECT.search(head + "\n")
    assert match is not None
    return " ".join(match[0].removeprefix("Subject:").split())


def _chatter() -> list[str]:
    """A thread without a patch: no series."""
    ask = "<chatter-0@patchscope.invalid>"
    return [
        f"From: Tom Tester <tom@example.net>\nSubject: hotplug meeting notes\nMessage-Id: {ask}\n"
        "Date: Wed, 3 Jan 2024 09:00:00 +0000\n\nNotes of the weekly call.\n",
        "From: Ada Hacker <ada@example.org>\nSubject: Re: hotplug meeting notes\n"
        f"Message-Id: <chatter-1@patchscope.invalid>\nIn-Reply-To: {ask}\n"
        "Date: Wed, 3 Jan 2024 10:00:00 +0000\n\nThanks.\n",
    ]
