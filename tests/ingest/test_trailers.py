"""Body cutting, trailers, reply trailers and quoted commit ids."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from patchscope.ingest.mail import Mail, Person, read_mbox
from patchscope.ingest.trailers import (
    CommitRef,
    Trailer,
    commit_refs,
    parse_trailers,
    reply_trailers,
    split_body,
)
from tests.conftest import REFERENCE_MBOX

MICHAL = Person("Michal Hocko", "mhocko@suse.com")
OSCAR = Person("Oscar Salvador", "osalvador@suse.de")
SIGNATURE = "-- \n2.13.7\n"
REF_31BC = CommitRef(
    "31bc3858ea3e",
    "memory-hotplug: add automatic onlining policy for the newly added memory",
)


@pytest.fixture(scope="module")
def thread() -> list[Mail]:
    return read_mbox(REFERENCE_MBOX.read_bytes(), str(REFERENCE_MBOX))


def git(args: list[str], stdin: str, cwd: Path) -> str:
    """Run git with no user or system configuration, so its answer is git's own."""
    env = {
        **os.environ,
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    done = subprocess.run(
        ["git", *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env, check=True
    )
    return done.stdout


def numstat_totals(diff: str, cwd: Path) -> tuple[int, int, int]:
    rows = [line.split("\t") for line in git(["apply", "--numstat", "-"], diff, cwd).splitlines()]
    return len(rows), sum(int(r[0]) for r in rows), sum(int(r[1]) for r in rows)


# --- the reference thread -------------------------------------------------------------


def test_in_body_from_of_the_reference_patches(thread: list[Mail]) -> None:
    authors = [split_body(mail.body).in_body_from for mail in thread[:5]]
    assert authors == [None, MICHAL, MICHAL, None, MICHAL]
    # Perturbed: without its in-body From: line patch 1 has none, and its message still
    # starts with the first sentence.
    parts = split_body(thread[1].body.replace("From: Michal Hocko <mhocko@suse.com>\n\n", ""))
    assert parts.in_body_from is None
    assert parts.message.startswith("check_pages_isolated_cb currently accounts")


def test_signed_off_by_chains_as_in_the_mails(thread: list[Mail]) -> None:
    chains = [
        [t.person for t in parse_trailers(split_body(mail.body).message)] for mail in thread[1:5]
    ]
    assert chains == [[MICHAL, OSCAR], [MICHAL, OSCAR], [OSCAR], [MICHAL, OSCAR]]
    # Perturbed: a sign-off dropped from patch 1 is gone from its chain.
    body = thread[1].body.replace("Signed-off-by: Michal Hocko <mhocko@suse.com>\n", "")
    assert [t.person for t in parse_trailers(split_body(body).message)] == [OSCAR]
    names = {t.name for mail in thread[1:5] for t in parse_trailers(split_body(mail.body).message)}
    assert names == {"Signed-off-by"}


def test_patch_message_is_what_git_am_keeps(thread: list[Mail]) -> None:
    message = split_body(thread[1].body).message
    assert message.startswith("check_pages_isolated_cb currently accounts the whole pfn range")
    assert message.endswith("Signed-off-by: Oscar Salvador <osalvador@suse.de>\n")
    assert "From: Michal Hocko" not in message
    assert "files changed" not in message


def test_patch_notes_hold_the_diffstat(thread: list[Mail]) -> None:
    assert split_body(thread[4].body).notes == (
        " mm/sparse.c | 16 ++++++++--------\n 1 file changed, 8 insertions(+), 8 deletions(-)\n"
    )


@pytest.mark.parametrize("index", [1, 2, 3, 4])
def test_patch_diff_runs_from_diff_git_to_the_signature(
    thread: list[Mail], index: int, tmp_path: Path
) -> None:
    body = thread[index].body
    parts = split_body(body)
    assert parts.diff.startswith("diff --git ")
    assert body.endswith(parts.diff + SIGNATURE)
    # git counts the cut diff exactly as the mail's own summary line says.
    summary = re.search(r"(\d+) files? changed, (\d+) insertions?\(\+\), (\d+) del", parts.notes)
    assert summary is not None
    assert numstat_totals(parts.diff, tmp_path) == tuple(int(n) for n in summary.groups())


def test_cover_letter_and_replies_have_no_diff(thread: list[Mail]) -> None:
    for mail in [thread[0], *thread[5:]]:
        assert split_body(mail.body).diff == ""
    cover = split_body(thread[0].body)
    assert cover.in_body_from is None
    assert cover.message.endswith("20 files changed, 431 insertions(+), 99 deletions(-)\n")


def test_reply_trailers_of_the_reference_replies(thread: list[Mail]) -> None:
    assert [reply_trailers(mail.body) for mail in thread[5:]] == [
        (),
        (),
        (
            Trailer(
                "Tested-by",
                "Jonathan Cameron <Jonathan.Cameron@huawei.com>",
                Person("Jonathan Cameron", "Jonathan.Cameron@huawei.com"),
            ),
        ),
    ]


def test_reply_trailer_quoted_or_after_the_signature_does_not_count(thread: list[Mail]) -> None:
    body = thread[7].body
    line = "Tested-by: Jonathan Cameron <Jonathan.Cameron@huawei.com>\n"
    assert reply_trailers(body.replace(line, "> " + line)) == ()
    assert reply_trailers(body.replace(line, "-- \n" + line)) == ()


def test_commit_refs_of_cover_letter_and_patch_3(thread: list[Mail]) -> None:
    assert commit_refs(thread[0].body) == (REF_31BC,)
    assert commit_refs(thread[3].body) == (REF_31BC,)
    assert [commit_refs(mail.body) for mail in (thread[1], thread[2], thread[4])] == [(), (), ()]
    # Perturbed: one hex digit short of the 12 a reference needs.
    assert commit_refs(thread[0].body.replace("31bc3858ea3e", "31bc3858ea3")) == ()


# --- split_body on self-written bodies ------------------------------------------------

HUNK = "--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+long b;\n"


def test_in_body_headers_are_taken_only_at_the_top_before_a_blank_line() -> None:
    body = (
        "\nFrom: =?utf-8?q?J=C3=B6rg_R=C3=B6del?= <joerg@example.org>\n"
        "Date: Mon, 5 Feb 2024 10:00:00 +0100\nSubject: [PATCH] real subject\n\n"
        "Message.\n\nSigned-off-by: J <j@example.org>\n---\n notes\n\n"
        f"diff --git a/mm/x.c b/mm/x.c\n{HUNK}"
    )
    parts = split_body(body)
    assert parts.in_body_from == Person("Jörg Rödel", "joerg@example.org")
    assert parts.message == "Message.\n\nSigned-off-by: J <j@example.org>\n"
    assert parts.notes == " notes\n"
    assert parts.diff == f"diff --git a/mm/x.c b/mm/x.c\n{HUNK}"
    no_blank = split_body(body.replace("real subject\n\n", "real subject\n"))
    assert no_blank.in_body_from is None
    assert no_blank.message.startswith("From: =?utf-8?q?")


@pytest.mark.parametrize(
    "diff",
    [HUNK, "Index: mm/x.c\n===================================================\n" + HUNK],
)
def test_diff_without_diff_git_and_message_without_separator(diff: str) -> None:
    parts = split_body(f"Fix b.\n\nSigned-off-by: A <a@example.org>\n\n{diff}")
    assert parts.message == "Fix b.\n\nSigned-off-by: A <a@example.org>\n"
    assert parts.notes == ""
    assert parts.diff == diff


TRICKY = (
    "diff --git a/notes.txt b/notes.txt\n"
    "--- a/notes.txt\n"
    "+++ b/notes.txt\n"
    "@@ -1,4 +1,2 @@\n"
    " first\n"
    "-- \n"
    "\n"
    "-- \n"
)


def test_removed_line_reading_dash_space_is_not_the_signature(tmp_path: Path) -> None:
    # The hunk removes the two lines "- " around an empty context line; the third "-- "
    # comes after the hunk's counted lines and is the signature.
    body = f"msg\n---\n{TRICKY}-- \n2.43.0\n\n"
    parts = split_body(body)
    assert parts.diff == TRICKY
    assert numstat_totals(parts.diff, tmp_path) == (1, 0, 2)
    assert split_body(f"msg\n---\n{TRICKY}").diff == TRICKY


def test_signature_directly_after_a_hunk_is_cut() -> None:
    diff = f"diff --git a/mm/x.c b/mm/x.c\n{HUNK}"
    assert split_body(f"m\n---\n{diff}-- \n2.43.0\n").diff == diff
    assert split_body(f"m\n---\n{diff}\n\n-- \nSent from a phone\n").diff == diff


# --- trailers -------------------------------------------------------------------------

MESSAGE = (
    "mm: subject\n\nBody text: with a colon.\n\n"
    'Fixes: 0123456789ab ("mm: the bad one")\n'
    "Link: https://lore.kernel.org/r/123@example.org\n"
    "reported-by: Rep Orter <rep@example.org>\n"
    "Suggested-By: Sug Gester <sug@example.org>\n"
    "co-developed-by: Co Dev <co@example.org>\n"
    "Signed-off-by: Co Dev <co@example.org>\n"
    "[maintainer: folded a typo fix]\n"
    'Tested-by: "Doe, Jane" <jane@example.org>\n'
    "Acked-by: Ack Er <ack@example.org>\n"
    "REVIEWED-BY: Re Viewer\n"
    "  <rev@example.org>\n"
    "CC: stable@vger.kernel.org # 5.0\n"
    "Signed-off-by: A U Thor <author@example.org>\n"
)


def test_trailer_names_are_canonical() -> None:
    assert [t.name for t in parse_trailers(MESSAGE)] == [
        "Fixes",
        "Link",
        "Reported-by",
        "Suggested-by",
        "Co-developed-by",
        "Signed-off-by",
        "Tested-by",
        "Acked-by",
        "Reviewed-by",
        "Cc",
        "Signed-off-by",
    ]


def test_trailer_persons_and_continuations() -> None:
    trailers = {t.name: t for t in parse_trailers(MESSAGE)}
    assert trailers["Tested-by"].person == Person("Doe, Jane", "jane@example.org")
    assert trailers["Reviewed-by"].value == "Re Viewer <rev@example.org>"
    assert trailers["Reviewed-by"].person == Person("Re Viewer", "rev@example.org")
    assert trailers["Cc"].person is None
    assert trailers["Fixes"].person is None


def test_trailers_agree_with_git_interpret_trailers(tmp_path: Path) -> None:
    parsed = git(["interpret-trailers", "--parse"], MESSAGE, tmp_path).splitlines()
    expected = [tuple(line.split(": ", 1)) for line in parsed]
    assert [(t.name.lower(), t.value) for t in parse_trailers(MESSAGE)] == [
        (name.lower(), value) for name, value in expected
    ]


@pytest.mark.parametrize(
    "message",
    [
        "mm: x\n\nJust prose in the last paragraph.\nNo trailers at all.\n",
        "mm: x\n\nOne.\nTwo.\nThree.\nFour.\nSigned-off-by: A <a@example.org>\n",
        "mm: x\n\nSigned-off-by: A <a@example.org>\n\nA paragraph after the trailers.\n",
    ],
)
def test_last_paragraph_that_is_not_a_trailer_block(message: str, tmp_path: Path) -> None:
    assert parse_trailers(message) == ()
    assert git(["interpret-trailers", "--parse"], message, tmp_path) == ""


def test_a_quarter_of_trailers_with_a_sign_off_is_a_block() -> None:
    message = "mm: x\n\nOne.\nTwo.\nThree.\nSigned-off-by: A <a@example.org>\n"
    assert [t.name for t in parse_trailers(message)] == ["Signed-off-by"]


def test_reply_trailers_anywhere_but_quotes() -> None:
    body = (
        "On Mon, someone wrote:\n> Signed-off-by: Quoted <q@example.org>\n"
        ">> Reviewed-by: Deeper <d@example.org>\n\nLooks good.\n"
        "Reviewed-by: Rev Iewer <rev@example.org>\n\nMore text.\n"
        "acked-by: Ack Er <ack@example.org>\n\n> more quote\n"
        "Tested-by: Late Tester <late@example.org>\n-- \nsignature\n"
        "Reviewed-by: In Signature <sig@example.org>\n"
    )
    assert [(t.name, t.person) for t in reply_trailers(body)] == [
        ("Reviewed-by", Person("Rev Iewer", "rev@example.org")),
        ("Acked-by", Person("Ack Er", "ack@example.org")),
        ("Tested-by", Person("Late Tester", "late@example.org")),
    ]


# --- commit ids -----------------------------------------------------------------------


def test_commit_ref_forms() -> None:
    text = (
        'As in commit 0123456789AB ("mm: first").\n'
        'Fixes: 0123456789abcdef0123456789abcdef01234567 ("mm: "quoted" word")\n'
        'again 0123456789ab ("mm: first")\n'
    )
    assert commit_refs(text) == (
        CommitRef("0123456789ab", "mm: first"),
        CommitRef("0123456789abcdef0123456789abcdef01234567", 'mm: "quoted" word'),
    )


@pytest.mark.parametrize(
    "text",
    [
        'short 0123456789a ("eleven digits")',
        'long 0123456789abcdef0123456789abcdef012345678 ("forty-one digits")',
        'glued x0123456789ab ("not a word")',
        "no quotes 0123456789ab (title)",
        '0123456789ab ("a title\n\nthat crosses a paragraph")',
    ],
)
def test_not_commit_refs(text: str) -> None:
    assert commit_refs(text) == ()


def test_separator_with_trailing_blanks_and_plain_diff_u_start() -> None:
    diff = "diff -urN a/mm/x.c b/mm/x.c\n" + HUNK
    parts = split_body(f"Fix.\n---  \n notes\n{diff}")
    assert (parts.message, parts.notes, parts.diff) == ("Fix.\n", " notes\n", diff)
    # Perturbed: a line that merely starts with '---' text is message, not a separator.
    assert split_body(f"Fix.\n--- not a separator\n{diff}").message == (
        "Fix.\n--- not a separator\n"
    )
