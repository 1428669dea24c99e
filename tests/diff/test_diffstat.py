"""Claimed diffstats against computed ones: the reference thread, git's own output, edits."""

from __future__ import annotations

import difflib
import mailbox

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchscope.diff.diffstat import compare, compute, parse_claimed
from patchscope.diff.model import Diffstat
from patchscope.diff.parse import parse_diff
from tests.conftest import REFERENCE_MBOX
from tests.diff.test_parse import ChangeRepo, build_change_repo, numstat


def _bodies() -> list[str]:
    out = []
    for message in mailbox.mbox(REFERENCE_MBOX):
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        out.append(payload.decode("utf-8"))
    return out


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    return _bodies()


def _split(body: str) -> tuple[str, str]:
    """(notes after the first '---' line, diff from the first 'diff --git')."""
    diff_at = body.index("\ndiff --git ") + 1
    return body[body.index("\n---\n") : diff_at], body[diff_at:]


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_reference_patch_claims_what_its_diff_has(bodies: list[str], number: int) -> None:
    notes, diff = _split(bodies[number])
    claimed = parse_claimed(notes)
    computed = compute(parse_diff(diff).files)
    assert claimed is not None
    assert claimed == computed
    assert compare(claimed, computed, number, "diffstat-mismatch") == ()
    assert claimed.files == sum(ln.startswith("diff --git ") for ln in diff.split("\n"))


def test_reference_patch_with_one_number_edited(bodies: list[str]) -> None:
    notes, diff = _split(bodies[2])
    line = next(ln for ln in notes.split("\n") if ln.startswith(" kernel/memremap.c"))
    name, bar = line.split("|")
    number = int(bar.split()[0])
    edited = notes.replace(line, f"{name}| {number + 1} {bar.split()[1]}")
    claimed = parse_claimed(edited)
    assert claimed is not None
    (finding,) = compare(claimed, compute(parse_diff(diff).files), 2, "diffstat-mismatch")
    assert (finding.rule, finding.severity, finding.patch) == ("diffstat-mismatch", "error", 2)
    assert finding.file == "kernel/memremap.c"
    assert str(number + 1) in finding.message and str(number) in finding.message


# the cover letter's diffstat, copied from the mail
COVER_PER_FILE = {
    "arch/arm64/mm/mmu.c": 10,
    "arch/ia64/mm/init.c": 5,
    "arch/powerpc/mm/init_64.c": 7,
    "arch/powerpc/mm/mem.c": 6,
    "arch/s390/mm/init.c": 12,
    "arch/sh/mm/init.c": 6,
    "arch/x86/mm/init_32.c": 6,
    "arch/x86/mm/init_64.c": 20,
    "drivers/hv/hv_balloon.c": 1,
    "drivers/xen/balloon.c": 1,
    "include/linux/memory_hotplug.h": 42,
    "include/linux/memremap.h": 2,
    "include/linux/page-flags.h": 23,
    "kernel/memremap.c": 9,
    "mm/compaction.c": 8,
    "mm/memory_hotplug.c": 186,
    "mm/page_alloc.c": 47,
    "mm/page_isolation.c": 13,
    "mm/sparse.c": 124,
    "mm/util.c": 2,
}


def test_cover_letter_diffstat(bodies: list[str]) -> None:
    claimed = parse_claimed(bodies[0])  # the whole body: shortlog above, signature below
    assert claimed is not None
    assert (claimed.files, claimed.insertions, claimed.deletions) == (20, 431, 99)
    assert claimed.per_file == COVER_PER_FILE
    assert sum(COVER_PER_FILE.values()) == 431 + 99


def test_replies_quoting_a_diffstat_claim_none(bodies: list[str]) -> None:
    assert ">  20 files changed, 431 insertions(+), 99 deletions(-)" in bodies[7]
    assert parse_claimed(bodies[7]) is None


# --- git's own diffstat and numstat on a repository the test builds ----------------------


@pytest.fixture(scope="module")
def change_repo(tmp_path_factory: pytest.TempPathFactory) -> ChangeRepo:
    return build_change_repo(tmp_path_factory.mktemp("stat"))


def test_computed_equals_numstat(change_repo: ChangeRepo) -> None:
    computed = compute(parse_diff(change_repo.diff).files)
    expected = numstat(change_repo.repo)
    assert computed.per_file == {path: a + r for path, (a, r) in expected.items()}
    assert computed.files == len(expected)
    assert computed.insertions == sum(a for a, _ in expected.values())
    assert computed.deletions == sum(r for _, r in expected.values())


def test_claimed_equals_numstat(change_repo: ChangeRepo) -> None:
    claimed = parse_claimed(change_repo.notes)
    assert claimed is not None
    expected = {path: a + r for path, (a, r) in numstat(change_repo.repo).items()}
    # git wrote these forms; the test makes sure each really occurs
    for form in (" => ", "{", "Bin ", ".../", '"we\\"ird.c"'):
        assert form in change_repo.notes
    shortened = [name for name in claimed.per_file if name.startswith(".../")]
    assert len(shortened) == 1
    full = next(path for path in expected if path.endswith(shortened[0][3:]))
    assert {full if n == shortened[0] else n: c for n, c in claimed.per_file.items()} == expected
    computed = compute(parse_diff(change_repo.diff).files)
    assert (claimed.files, claimed.insertions, claimed.deletions) == (
        computed.files,
        computed.insertions,
        computed.deletions,
    )
    assert compare(claimed, computed, 1, "diffstat-mismatch") == ()


def test_edited_git_diffstat_line_is_reported_at_that_file(change_repo: ChangeRepo) -> None:
    line = next(ln for ln in change_repo.notes.split("\n") if ln.startswith(" foo bar.c "))
    claimed = parse_claimed(change_repo.notes.replace(line, line.replace("3 ++-", "4 ++--")))
    assert claimed is not None
    computed = compute(parse_diff(change_repo.diff).files)
    (finding,) = compare(claimed, computed, 1, "diffstat-mismatch")
    assert finding.file == "foo bar.c" and "4" in finding.message and "3" in finding.message


# --- parse_claimed on the forms git writes --------------------------------------------


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (" 1 file changed, 1 insertion(+)", (1, 1, 0)),
        (" 2 files changed, 3 deletions(-)", (2, 0, 3)),
        (" 1 file changed, 1 insertion(+), 1 deletion(-)", (1, 1, 1)),
        (" 1 file changed", (1, 0, 0)),
    ],
)
def test_summary_forms(summary: str, expected: tuple[int, int, int]) -> None:
    claimed = parse_claimed(f"notes above\n\n{summary}\n\nbelow")
    assert claimed is not None
    assert (claimed.files, claimed.insertions, claimed.deletions) == expected


def test_no_diffstat() -> None:
    assert parse_claimed("Changes since v1:\n - a | b\n") is None


def test_rename_forms_keep_the_post_image() -> None:
    notes = (
        " lib/{ => sub}/x.c     | 2 +-\n"
        " lib/{old => }/y.c     | 0\n"
        " a.c => b.c            | 1 +\n"
        " pic.png               | Bin 0 -> 1234 bytes\n"
        " 4 files changed, 2 insertions(+), 1 deletion(-)\n"
    )
    claimed = parse_claimed(notes)
    assert claimed is not None
    assert claimed.per_file == {"lib/sub/x.c": 2, "lib/y.c": 0, "b.c": 1, "pic.png": 0}


# --- compare ----------------------------------------------------------------------------


def _stat(per_file: dict[str, int], ins: int, dels: int) -> Diffstat:
    return Diffstat(len(per_file), ins, dels, per_file)


def test_compare_missing_extra_and_summary() -> None:
    claimed = _stat({"mm/a.c": 3, "mm/gone.c": 1}, 3, 1)
    computed = _stat({"mm/a.c": 3, "mm/new.c": 2}, 4, 1)
    findings = compare(claimed, computed, None, "cover-diffstat-mismatch")
    assert [(f.rule, f.file) for f in findings] == [
        ("cover-diffstat-mismatch", "mm/gone.c"),
        ("cover-diffstat-mismatch", "mm/new.c"),
        ("cover-diffstat-mismatch", None),
    ]
    assert "3 insertions" in findings[2].message and "4 insertions" in findings[2].message


def test_compare_matches_shortened_paths_by_suffix_only() -> None:
    computed = _stat({"drivers/a/b/long.c": 5, "long.c": 1}, 6, 0)
    ok = _stat({".../b/long.c": 5, "long.c": 1}, 6, 0)
    assert compare(ok, computed, 1, "diffstat-mismatch") == ()
    wrong = _stat({".../c/long.c": 5, "long.c": 1}, 6, 0)
    files = {f.file for f in compare(wrong, computed, 1, "diffstat-mismatch")}
    assert files == {".../c/long.c", "drivers/a/b/long.c"}


# --- property: random edits, counted by a separate tiny counter ---------------------------

_LINE = st.sampled_from(
    ["a", "b", "c", "", "- x", "+ y", "-- ", "- ", "++ w", "@@ z", "diff --git q"]
)


def _count(diff: str) -> tuple[int, int]:
    """+/- lines inside hunks, by walking hunk headers' counts (independent of the parser)."""
    added = removed = 0
    old_left = new_left = 0
    for line in diff.split("\n"):
        if old_left == 0 and new_left == 0:
            if line.startswith("@@ "):
                old_r, new_r = line.split(" ")[1:3]
                old_left = int(old_r.split(",")[1]) if "," in old_r else 1
                new_left = int(new_r.split(",")[1]) if "," in new_r else 1
            continue
        if line.startswith("+"):
            added, new_left = added + 1, new_left - 1
        elif line.startswith("-"):
            removed, old_left = removed + 1, old_left - 1
        else:
            old_left, new_left = old_left - 1, new_left - 1
    return added, removed


def _edit(base: list[str], edits: list[tuple[int, int, list[str]]]) -> list[str]:
    out = list(base)
    for at, drop, insert in edits:
        at = at % (len(out) + 1)
        out[at : at + drop] = insert
    return out


@settings(max_examples=60, deadline=None)
@given(
    files=st.lists(
        st.tuples(
            st.lists(_LINE, max_size=25),
            st.lists(
                st.tuples(st.integers(0, 30), st.integers(0, 3), st.lists(_LINE, max_size=3)),
                max_size=4,
            ),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_random_edits(files: list[tuple[list[str], list[tuple[int, int, list[str]]]]]) -> None:
    parts = []
    for n, (base, edits) in enumerate(files):
        new = _edit(base, edits)
        body = list(difflib.unified_diff(base, new, f"a/f{n}", f"b/f{n}", lineterm="", n=2))
        if body:
            parts.append("\n".join([f"diff --git a/f{n} b/f{n}", *body]))
    diff = "\n".join(parts) + "\n"
    parsed = parse_diff(diff)
    stat = compute(parsed.files)
    assert not parsed.malformed
    assert (stat.insertions, stat.deletions) == _count(diff)
    assert stat.files == len(parts)
    for f in parsed.files:
        n = int(f.path[1:])
        base, edits = files[n]
        new = _edit(base, edits)
        for h in f.hunks:
            for ln in h.lines:
                if ln.new_no is not None:
                    assert new[ln.new_no - 1] == ln.text
                if ln.old_no is not None:
                    assert base[ln.old_no - 1] == ln.text
