"""Series assembly on a self-written thread: replies, trailers, sign-offs, naming, quotes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patchscope.errors import NoPatchError
from patchscope.ingest.assemble import assemble, b4_name
from patchscope.ingest.mail import Person, read_mbox
from patchscope.ingest.series import Series
from tests.conftest import GitSeries


def _with_ids(series: GitSeries) -> str:
    """The series' mails as a thread: ids <n@test>, patches answering the cover <0@test>."""
    mails = re.split(r"(?m)^(?=From [0-9a-f]{40} )", series.mbox.read_text())[1:]
    out = []
    for n, mail in enumerate(mails):
        head, body = mail.split("\n\n", 1)
        head += f"\nMessage-Id: <{n}@test>"
        if n:
            head += "\nIn-Reply-To: <0@test>\nReferences: <0@test>"
        out.append(f"{head}\n\n{body}")
    return "".join(out)


def _reply(n: int, to: str, refs: str, subject: str, body: str, sender: str) -> str:
    return (
        f"From reviewer Mon Mar  4 10:00:00 2024\nFrom: {sender}\nSubject: Re: {subject}\n"
        f"Message-Id: <r{n}@test>\nIn-Reply-To: <{to}>\nReferences: {refs}\n"
        f"Date: Mon, 4 Mar 2024 10:00:0{n} +0000\n\n{body}\n\n"
    )


def _load(text: str, tmp_path: Path) -> Series:
    path = tmp_path / "thread.mbox"
    path.write_text(text)
    return assemble(read_mbox(path.read_bytes(), str(path)), source=str(path))


def _second_patch_hunk(series: GitSeries) -> tuple[list[str], int]:
    """Quoted lines of patch 2's hunk and the post-image line of its first '+' line."""
    text = sorted(series.patch_dir.glob("0002-*"))[0].read_text()
    header = re.search(r"^@@ -\d+,\d+ \+(\d+),\d+ @@.*\n", text, re.M)
    assert header
    lines = text[header.end() :].splitlines()
    first_plus = next(i for i, line in enumerate(lines) if line.startswith("+"))
    # post-image numbering counts context and '+' lines before the first '+'
    before = sum(1 for line in lines[:first_plus] if not line.startswith("-"))
    return lines[first_plus : first_plus + 2], int(header.group(1)) + before


def test_reply_trailers_reach_the_right_patches(git_series: GitSeries, tmp_path: Path) -> None:
    quoted, line = _second_patch_hunk(git_series)
    review = (
        "\n".join(f"> {q}" for q in quoted) + "\n\nNice.\n\nReviewed-by: Bo Reviewer <bo@ex.org>"
    )
    thread = _with_ids(git_series)
    thread += _reply(1, "2@test", "<0@test> <2@test>", "[PATCH 2/4] x", review, "Bo <bo@ex.org>")
    thread += _reply(
        2, "0@test", "<0@test>", "[PATCH 0/4] x", "Acked-by: Cy Maint <cy@ex.org>", "Cy <cy@ex.org>"
    )
    # a reply to the review, carrying no trailer of its own but quoting one
    thread += _reply(
        3,
        "r1@test",
        "<0@test> <2@test> <r1@test>",
        "[PATCH 2/4] x",
        "> Reviewed-by: Bo Reviewer <bo@ex.org>\n\nThanks!",
        "Ada <ada@example.org>",
    )
    series = _load(thread, tmp_path)
    given = {p.number: sorted(t.trailer.value for t in p.trailers) for p in series.patches}
    assert given == {
        1: ["Cy Maint <cy@ex.org>"],
        2: ["Bo Reviewer <bo@ex.org>", "Cy Maint <cy@ex.org>"],
        3: ["Cy Maint <cy@ex.org>"],
        4: ["Cy Maint <cy@ex.org>"],
    }
    answers = {r.message_id: r.answers for r in series.replies}
    assert answers == {"r1@test": 2, "r2@test": 0, "r3@test": 2}
    review_reply = next(r for r in series.replies if r.message_id == "r1@test")
    assert [(q.patch, q.file, q.line) for q in review_reply.quoted] == [(2, "mm/hotplug.c", line)]


def test_quote_of_a_blank_line_alone_is_not_located(git_series: GitSeries, tmp_path: Path) -> None:
    thread = _with_ids(git_series)
    thread += _reply(
        1, "2@test", "<0@test> <2@test>", "[PATCH 2/4] x", ">  \n> +}\n\nhm", "B <b@x>"
    )
    series = _load(thread, tmp_path)
    assert series.replies[0].quoted == ()


def _in_body_from(thread: str, prefix: str, who: str) -> str:
    """Give the patch with this subject prefix an in-body From: line, as git send-email does."""
    body = thread.index("\n\n", thread.index(f"Subject: {prefix}")) + 2
    return thread[:body] + f"From: {who}\n\n" + thread[body:]


def test_signoff_chain_findings(git_series: GitSeries, tmp_path: Path) -> None:
    thread = _with_ids(git_series)
    # patch 1 written by someone who did not sign; patch 3 passed on by a sender who did not
    thread = _in_body_from(thread, "[PATCH 1/4]", "Eve Writer <eve@ex.org>")
    third = thread.index("Subject: [PATCH 3/4]")
    start = thread.rindex("From: Ada Hacker <ada@example.org>", 0, third)
    thread = thread[:start] + "From: Mallory <mal@ex.org>" + thread[start + 34 :]
    thread = _in_body_from(thread, "[PATCH 3/4]", "Ada Hacker <ada@example.org>")
    series = _load(thread, tmp_path)
    rules = sorted((f.patch, f.rule, f.severity) for f in series.findings)
    assert rules == [(1, "signoff-author", "error"), (3, "signoff-order", "warning")]
    assert series.patches[0].author == Person("Eve Writer", "eve@ex.org")


def test_no_cover_letter(git_series: GitSeries, tmp_path: Path) -> None:
    text = git_series.mbox.read_text()
    text = text[text.index("From ", 1) :]  # drop the cover letter
    series = _load(text, tmp_path)
    assert series.cover is None
    assert series.title == "mm: add hotplug counter"
    assert [p.number for p in series.patches] == [1, 2, 3, 4]


def test_patches_out_of_order(git_series: GitSeries, tmp_path: Path) -> None:
    mails = re.split(r"(?m)^(?=From [0-9a-f]{40} )", git_series.mbox.read_text())[1:]
    series = _load("".join(reversed(mails)), tmp_path)
    assert [p.subject.title for p in series.patches] == [
        "mm: add hotplug counter",
        "mm: let hotplug_add fail on overflow",
        "x86: call hotplug_add at boot",
        "mm: rename counter to nr_added",
    ]


def test_nothing_but_chatter(tmp_path: Path) -> None:
    text = _reply(1, "x@test", "<x@test>", "hello", "no diff here", "A <a@b>")
    with pytest.raises(NoPatchError, match="no patch in"):
        _load(text, tmp_path)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (2, "v2_20190122_osalvador_mm_memory_hotplug_allocate_memmap_from_hotadded_memory"),
        (1, "20190122_osalvador_mm_memory_hotplug_allocate_memmap_from_hotadded_memory"),
    ],
)
def test_b4_name(version: int, expected: str) -> None:
    sender = Person("Oscar Salvador", "osalvador@suse.de")
    title = "mm, memory_hotplug: allocate memmap from hotadded memory"
    assert b4_name(version, "2019-01-22T10:37:04+00:00", sender, title) == expected
