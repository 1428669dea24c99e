"""parse_diff against git's own view of a repository the test builds, and broken diffs."""

from __future__ import annotations

import mailbox
import os
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from patchscope.diff.model import FileDiff
from patchscope.diff.parse import ParsedDiff, parse_diff, unquote_path
from tests.conftest import GIT_ENV, REFERENCE_MBOX, git

LONG_DIR = "drivers/memory/hotplug/very/long/directory/names/that/git/shortens/in/a/diffstat"

BASE_FILES: dict[str, bytes] = {
    "mm/keep.c": (
        b"#include <linux/mm.h>\n\nint first(void)\n{\n\tint a = 1;\n\tint b = 2;\n"
        b"\tint c = 3;\n\tint d = 4;\n\treturn a + b + c + d;\n}\n\n"
        b"int second(void)\n{\n\tint x = 1;\n\tint y = 2;\n\tint z = 3;\n"
        b"\tint w = 4;\n\treturn x * y * z * w;\n}\n"
    ),
    "foo bar.c": b"one\ntwo\nthree\n",
    "gone.c": b"".join(b"line %d\n" % i for i in range(1, 11)),
    "old_name.c": b"unchanged by the rename\nsecond line\n",
    "dir/a/moved.c": b"".join(b"moved %d\n" % i for i in range(1, 21)),
    "script.sh": b"#!/bin/sh\necho hi\n",
    "blob.bin": b"\x00\x01\x02binary",
    'we"ird.c': b"quoted name\n",
    f"{LONG_DIR}/file_with_a_long_name.c": b"a\nb\nc\n",
    "tail.c": b"ends\nwithout newline",
    "empty.txt": b"",
    "crlf.c": b"dos\r\nline\f with form feed\r\n",
}


def _post_image(base: dict[str, bytes]) -> dict[str, bytes | None]:
    """What the one commit does; None deletes a file."""
    moved = base["dir/a/moved.c"].replace(b"moved 15\n", b"moved fifteen\n")
    return {
        "mm/keep.c": base["mm/keep.c"]
        .replace(b"\tint c = 3;\n", b"\tint c = 30;\n\tint e = 5;\n")
        .replace(b"\tint z = 3;\n", b""),
        "foo bar.c": b"one\nTWO\nthree\nfour\n",
        "gone.c": None,
        "old_name.c": None,
        "new_name.c": base["old_name.c"],
        "dir/a/moved.c": None,
        "dir/b/moved.c": moved,
        "blob.bin": b"\x00\x03\x04other binary",
        'we"ird.c': b"quoted name\nand one more\n",
        f"{LONG_DIR}/file_with_a_long_name.c": b"a\nb\nc\nd\ne\nf\n",
        "tail.c": b"ends\nstill without newline",
        "added.h": b"#define ADDED 1\n",
        "added.bin": b"\x00new binary\x00",
        "empty.txt": None,
        "crlf.c": b"dos\r\nline\f with form feed, edited\r\n",
    }


@dataclass(frozen=True)
class ChangeRepo:
    repo: Path
    mail: str  # git format-patch --stat=80 --stdout of the one commit
    plain_diff: str  # git diff without --binary: "Binary files ... differ"

    @property
    def notes(self) -> str:
        return self.mail[self.mail.index("\n---\n") : self.mail.index("\ndiff --git ")]

    @property
    def diff(self) -> str:
        return self.mail[self.mail.index("\ndiff --git ") + 1 :]


def _write(repo: Path, files: dict[str, bytes | None]) -> None:
    for name, data in files.items():
        path = repo / name
        if data is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def exact_git(repo: Path, *args: str) -> str:
    """git's output byte for byte (conftest's helper reads text mode, which drops CRs)."""
    env = {**os.environ, **GIT_ENV, "HOME": str(repo.parent)}
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return done.stdout.decode("utf-8")


def build_change_repo(where: Path) -> ChangeRepo:
    """A base commit and one commit with every kind of change git can show."""
    repo = where / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    _write(repo, dict(BASE_FILES))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    _write(repo, _post_image(BASE_FILES))
    (repo / "script.sh").chmod(0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change everything")
    mail = exact_git(repo, "format-patch", "--stat=80", "--stdout", "-1", "HEAD")
    plain = exact_git(repo, "diff", "HEAD~", "HEAD")
    return ChangeRepo(repo, mail, plain)


@pytest.fixture(scope="module")
def change_repo(tmp_path_factory: pytest.TempPathFactory) -> ChangeRepo:
    return build_change_repo(tmp_path_factory.mktemp("change"))


def numstat(repo: Path) -> dict[str, tuple[int, int]]:
    """git diff --numstat -z: post-image path -> (added, removed); binary as (0, 0)."""
    fields = git(repo, "diff", "--numstat", "-z", "HEAD~", "HEAD").split("\0")
    out: dict[str, tuple[int, int]] = {}
    i = 0
    while i < len(fields) and fields[i]:
        added, removed, path = fields[i].split("\t", 2)
        if not path:  # a rename: old and new path follow as their own fields
            path, i = fields[i + 2], i + 2
        out[path] = (0, 0) if added == "-" else (int(added), int(removed))
        i += 1
    return out


@dataclass(frozen=True)
class RawEntry:
    old_mode: str
    new_mode: str
    old_blob: str
    new_blob: str
    status: str
    old_path: str


def raw(repo: Path) -> dict[str, RawEntry]:
    """git diff --raw -z --no-abbrev: path (deleted: old path) -> modes, blobs, status."""
    fields = git(repo, "diff", "--raw", "-z", "--no-abbrev", "HEAD~", "HEAD").split("\0")
    out: dict[str, RawEntry] = {}
    i = 0
    while i < len(fields) and fields[i]:
        old_mode, new_mode, old_blob, new_blob, status = fields[i][1:].split(" ")
        old_path = fields[i + 1]
        path = old_path
        if status[0] in "RC":
            path = fields[i + 2]
            i += 1
        out[path] = RawEntry(old_mode, new_mode, old_blob, new_blob, status[0], old_path)
        i += 2
    return out


def _by_path(parsed: ParsedDiff) -> dict[str, FileDiff]:
    return {f.path: f for f in parsed.files}


def test_counts_paths_and_status_equal_git(change_repo: ChangeRepo) -> None:
    parsed = parse_diff(change_repo.diff)
    assert not parsed.malformed and parsed.findings == ()
    files = _by_path(parsed)
    expected = numstat(change_repo.repo)
    assert {p: (f.added, f.removed) for p, f in files.items()} == expected
    status_letter = {"modified": "M", "added": "A", "deleted": "D", "renamed": "R"}
    for path, entry in raw(change_repo.repo).items():
        f = files[path]
        assert (f.old_path, status_letter[f.status]) == (entry.old_path, entry.status), path
        if f.similarity == 100:  # a pure rename's header names no mode at all
            assert (f.old_mode, f.new_mode) == (None, None)
            continue
        assert f.old_mode == (None if entry.old_mode == "000000" else entry.old_mode)
        assert f.new_mode == (None if entry.new_mode == "000000" else entry.new_mode)
        if f.old_blob is not None:  # pure renames and mode changes carry no index line
            assert entry.old_blob.startswith(f.old_blob)
            assert f.new_blob is not None and entry.new_blob.startswith(f.new_blob)


def test_special_files(change_repo: ChangeRepo) -> None:
    files = _by_path(parse_diff(change_repo.diff))
    assert files["blob.bin"].binary and files["blob.bin"].hunks == ()
    assert files["added.bin"].binary and files["added.bin"].status == "added"
    assert (files["empty.txt"].status, files["empty.txt"].hunks) == ("deleted", ())
    assert files["script.sh"].hunks == () and files["script.sh"].changed == 0
    assert files["new_name.c"].similarity == 100 and files["new_name.c"].hunks == ()
    assert files["dir/b/moved.c"].old_path == "dir/a/moved.c"
    assert files["dir/b/moved.c"].similarity is not None
    assert files["dir/b/moved.c"].similarity < 100
    assert sum(f.binary for f in files.values()) == 2
    crlf = [ln.text for h in files["crlf.c"].hunks for ln in h.lines]
    assert crlf == ["dos\r", "line\f with form feed\r", "line\f with form feed, edited\r"]


def test_crlf_mail_reads_like_the_lf_one(change_repo: ChangeRepo) -> None:
    """A mail whose every line gained a CR (a CRLF transport) gives the same values."""
    lf = parse_diff(change_repo.diff)
    crlf = parse_diff(change_repo.diff.replace("\n", "\r\n"))
    assert crlf == lf
    kept = parse_diff(change_repo.diff.replace("\n+", "\r\n+"))  # LF headers: CRs are content
    assert kept.files[0].path == lf.files[0].path and kept != lf


def test_context_lines_stripped_of_their_blank(patch3: list[str]) -> None:
    """Mail clients strip trailing blanks: an empty context line ' ' arrives as ''."""
    stripped = [ln.rstrip(" ") if ln == " " else ln for ln in patch3]
    assert stripped != patch3
    assert parse_diff("\n".join(stripped)) == parse_diff("\n".join(patch3))


def test_binary_without_patch_data(change_repo: ChangeRepo) -> None:
    assert "Binary files a/blob.bin and b/blob.bin differ" in change_repo.plain_diff
    files = _by_path(parse_diff(change_repo.plain_diff))
    assert files["blob.bin"].binary and files["blob.bin"].changed == 0
    assert {p: (f.added, f.removed) for p, f in files.items()} == numstat(change_repo.repo)


def _blob_lines(repo: Path, rev: str, path: str) -> list[str]:
    return exact_git(repo, "show", f"{rev}:{path}").split("\n")


def test_every_hunk_line_sits_at_its_numbers(change_repo: ChangeRepo) -> None:
    """Each numbered line equals that line of the pre-/post-image as git stores it."""
    diff_lines = change_repo.diff.split("\n")
    for f in parse_diff(change_repo.diff).files:
        for h in f.hunks:
            assert diff_lines[h.line_in_mail - 1].startswith(f"@@ -{h.old_start}")
            old = [] if f.status == "added" else _blob_lines(change_repo.repo, "HEAD~", f.old_path)
            new = [] if f.status == "deleted" else _blob_lines(change_repo.repo, "HEAD", f.path)
            for ln in h.lines:
                if ln.old_no is not None:
                    assert old[ln.old_no - 1] == ln.text, (f.path, ln)
                if ln.new_no is not None:
                    assert new[ln.new_no - 1] == ln.text, (f.path, ln)
            assert h.old_len == sum(ln.kind != "+" for ln in h.lines)
            assert h.new_len == sum(ln.kind != "-" for ln in h.lines)


def test_no_newline_marker_is_not_a_line(change_repo: ChangeRepo) -> None:
    assert "\\ No newline at end of file" in change_repo.diff
    (hunk,) = _by_path(parse_diff(change_repo.diff))["tail.c"].hunks
    assert [(ln.kind, ln.text) for ln in hunk.lines] == [
        (" ", "ends"),
        ("-", "without newline"),
        ("+", "still without newline"),
    ]


def test_section_is_the_enclosing_function(change_repo: ChangeRepo) -> None:
    hunks = _by_path(parse_diff(change_repo.diff))["mm/keep.c"].hunks
    assert [h.section for h in hunks] == ["int first(void)", "int second(void)"]


def test_quoted_and_spaced_paths(change_repo: ChangeRepo) -> None:
    assert 'diff --git "a/we\\"ird.c" "b/we\\"ird.c"' in change_repo.diff
    assert "--- a/foo bar.c\t" in change_repo.diff
    files = _by_path(parse_diff(change_repo.diff))
    assert files['we"ird.c'].added == 1 and files["foo bar.c"].changed == 3


def test_unquote_path() -> None:
    assert unquote_path('"t\\303\\251st.c"') == "tést.c"
    assert unquote_path('"tab\\there \\"q\\" \\\\"') == 'tab\there "q" \\'
    assert unquote_path("plain name.c") == "plain name.c"


def test_diff_without_git_headers(change_repo: ChangeRepo) -> None:
    """A quilt-style diff (only ---/+++ lines) reads like git's, paths stripped as by -p1."""
    text = git(change_repo.repo, "diff", "HEAD~", "HEAD", "--", "mm/keep.c", "tail.c")
    plain = "\n".join(ln for ln in text.split("\n") if not ln.startswith(("diff --git ", "index ")))
    files = parse_diff(plain).files
    assert [f.path for f in files] == ["mm/keep.c", "tail.c"]
    want = numstat(change_repo.repo)
    assert [(f.added, f.removed) for f in files] == [want["mm/keep.c"], want["tail.c"]]


# --- malformed input, on the reference thread's patch 3/4 (15 files) -------------------


def reference_diff(number: int) -> str:
    """The diff part of patch `number`/4 of the reference thread, from its first diff --git."""
    message = list(mailbox.mbox(REFERENCE_MBOX))[number]
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode("utf-8")
    return body[body.index("\ndiff --git ") + 1 :]


@pytest.fixture(scope="module")
def patch3() -> list[str]:
    return reference_diff(3).split("\n")


def _hunk_headers(lines: list[str], path: str) -> list[int]:
    """Indexes of the @@ lines of `path`'s block."""
    start = lines.index(f"diff --git a/{path} b/{path}")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("diff --git ")),
        len(lines),
    )
    return [i for i in range(start, end) if lines[i].startswith("@@ ")]


def _counts(header: str) -> tuple[int, int]:
    ranges = header.split(" ")[1:3]
    return int(ranges[0].split(",")[1]), int(ranges[1].split(",")[1])


def _unplaced(f: FileDiff) -> FileDiff:
    """The file without its hunks' places in the mail, which move when lines are added."""
    return replace(f, hunks=tuple(replace(h, line_in_mail=0) for h in f.hunks))


def _others_unchanged(broken: ParsedDiff, good: ParsedDiff, path: str) -> None:
    assert [f.path for f in broken.files] == [f.path for f in good.files]
    for b, g in zip(broken.files, good.files, strict=True):
        if b.path != path:
            assert _unplaced(b) == _unplaced(g)


def test_reference_patch_is_well_formed(patch3: list[str]) -> None:
    parsed = parse_diff("\n".join(patch3))
    assert not parsed.malformed and parsed.findings == ()
    assert len(parsed.files) == sum(ln.startswith("diff --git ") for ln in patch3) == 15


def test_wrong_header_counts(patch3: list[str]) -> None:
    at = _hunk_headers(patch3, "mm/sparse.c")[0]
    old, new = _counts(patch3[at])
    head = patch3[at].split(" @@")[0]
    perturbed = head.replace(f",{new}", f",{new + 2}")
    lines = [*patch3[:at], perturbed + patch3[at][len(head) :], *patch3[at + 1 :]]
    parsed = parse_diff("\n".join(lines))
    (finding,) = parsed.findings
    assert parsed.malformed and finding.rule == "malformed-hunk" and finding.severity == "error"
    assert (finding.file, finding.line) == ("mm/sparse.c", at + 1)
    assert finding.message == (
        f"hunk {perturbed} @@ in mm/sparse.c expects {old} old / {new + 2} new lines, "
        f"found {old} / {new}"
    )
    _others_unchanged(parsed, parse_diff("\n".join(patch3)), "mm/sparse.c")


def test_hunk_with_a_line_too_many(patch3: list[str]) -> None:
    headers = _hunk_headers(patch3, "mm/page_alloc.c")
    old, new = _counts(patch3[headers[0]])
    end_of_first = headers[0] + 1 + old + new - _context_lines(patch3, headers[0])
    lines = [*patch3[:end_of_first], "+an extra line", *patch3[end_of_first:]]
    parsed = parse_diff("\n".join(lines))
    (finding,) = parsed.findings
    assert finding.line == headers[0] + 1 and finding.file == "mm/page_alloc.c"
    assert finding.message.endswith(f"expects {old} old / {new} new lines, found {old} / {new + 1}")
    fixed = {f.path: f for f in parsed.files}["mm/page_alloc.c"]
    assert fixed.hunks[0].lines[-1].text == "an extra line"
    assert len(fixed.hunks) == len(headers)  # the hunks after the broken one still parse
    _others_unchanged(parsed, parse_diff("\n".join(patch3)), "mm/page_alloc.c")


def _context_lines(lines: list[str], header: int) -> int:
    """Context lines of the hunk at `header`, counted until the next @@ or diff --git."""
    count, i = 0, header + 1
    while i < len(lines) and not lines[i].startswith(("@@ ", "diff --git ")):
        count += lines[i].startswith(" ")
        i += 1
    return count


def test_hunk_with_a_line_missing(patch3: list[str]) -> None:
    at = _hunk_headers(patch3, "mm/memory_hotplug.c")[1]
    old, new = _counts(patch3[at])
    assert patch3[at + 1].startswith(" ")
    lines = [*patch3[: at + 1], *patch3[at + 2 :]]  # drop its first context line
    parsed = parse_diff("\n".join(lines))
    (finding,) = parsed.findings
    assert (finding.file, finding.line) == ("mm/memory_hotplug.c", at + 1)
    assert finding.message.endswith(f"found {old - 1} / {new - 1}")
    _others_unchanged(parsed, parse_diff("\n".join(patch3)), "mm/memory_hotplug.c")


def test_diff_cut_off_mid_hunk(patch3: list[str]) -> None:
    at = _hunk_headers(patch3, "mm/sparse.c")[-1]
    old, new = _counts(patch3[at])
    kept = patch3[: at + 4]
    seen_old = sum(ln[:1] in (" ", "-") for ln in kept[at + 1 :])
    seen_new = sum(ln[:1] in (" ", "+") for ln in kept[at + 1 :])
    parsed = parse_diff("\n".join(kept))
    (finding,) = parsed.findings
    assert (finding.file, finding.line) == ("mm/sparse.c", at + 1)
    assert finding.message.endswith(
        f"expects {old} old / {new} new lines, found {seen_old} / {seen_new}"
        " (the diff ends inside it)"
    )
    good = parse_diff("\n".join(patch3))
    assert parsed.files[:-1] == good.files[:-2]  # mm/util.c is cut away entirely
    assert parsed.files[-1].path == "mm/sparse.c"


def test_blank_lines_after_a_hunk_are_not_surplus(patch3: list[str]) -> None:
    spaced: list[str] = []
    for ln in patch3:
        spaced.extend(["", ""] if ln.startswith("diff --git ") and spaced else [])
        spaced.append(ln)
    parsed = parse_diff("\n".join(spaced))
    assert parsed.findings == ()
    good = parse_diff("\n".join(patch3))
    assert [_unplaced(f) for f in parsed.files] == [_unplaced(f) for f in good.files]


def test_quoted_path_with_a_space_has_no_tab_left(tmp_path: Path) -> None:
    """git quotes a name with '"' and, for its space, adds a tab after the quotes."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "commit", "-q", "--allow-empty", "-m", "base")
    name = 'mm/">ev <b>il.c'
    (repo / "mm").mkdir()
    (repo / name).write_text("int x;\nint y;\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add")
    text = git(repo, "diff", "HEAD~", "HEAD")
    assert '+++ "b/mm/\\">ev <b>il.c"\t' in text
    (only,) = parse_diff(text).files
    assert (only.path, only.old_path, only.status, only.added) == (name, name, "added", 2)
