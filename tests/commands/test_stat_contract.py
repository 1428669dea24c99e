"""The issue's input table: each row pinned to its exact line and exit code, no traceback."""

from __future__ import annotations

import base64
import json
import quopri
import re
from pathlib import Path

import pytest

from patchscope.cli import main
from tests.conftest import GitSeries, closed_port, git


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["stat", *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code, out, _ = run(capsys, *argv, "--json")
    return code, json.loads(out)


def patch_files(series: GitSeries) -> list[Path]:
    return sorted(series.patch_dir.glob("*.patch"))


# --- rows that end in one line on stderr and exit 2 -------------------------------------


def test_missing_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nothing.mbox"
    assert run(capsys, str(missing)) == (
        2,
        "",
        f"patchscope: no such file or directory: {missing}\n",
    )


def test_empty_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    assert run(capsys, str(empty)) == (2, "", f"patchscope: {empty} is empty\n")


def test_neither_mail_nor_diff(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("shopping list\n- eggs\n- milk\n")
    assert run(capsys, str(junk)) == (2, "", f"patchscope: {junk} is neither a mail nor a diff\n")


def test_git_range_that_does_not_resolve(
    capsys: pytest.CaptureFixture[str], git_series: GitSeries
) -> None:
    source = f"git:{git_series.repo}@{git_series.base}..nosuchbranch"
    code, out, err = run(capsys, source)
    assert (code, out) == (2, "")
    assert err == (
        f"patchscope: git range {git_series.base}..nosuchbranch does not resolve in "
        f"{git_series.repo}\n"
    )


def test_offline_lore_without_cache(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run(capsys, "<nothing.1234@example.org>", "--offline")
    assert (code, out) == (2, "")
    assert err == (
        "patchscope: nothing.1234@example.org is not in the cache and --offline forbids "
        "the network\n"
    )


def test_lore_unreachable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PATCHSCOPE_LORE_URL", f"http://127.0.0.1:{closed_port()}/all")
    code, out, err = run(capsys, "<nothing.1234@example.org>")
    assert (code, out) == (2, "")
    assert err.startswith("patchscope: lore unreachable: ")
    assert err.count("\n") == 1


def test_mails_without_a_patch(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chatter = tmp_path / "chatter.mbox"
    chatter.write_text(
        "From someone Mon Jan  1 00:00:00 2024\nFrom: A <a@example.org>\n"
        "Subject: Re: [PATCH] something\nMessage-Id: <x@example.org>\n\nLooks fine to me.\n"
    )
    assert run(capsys, str(chatter)) == (2, "", f"patchscope: no patch in {chatter}\n")


# --- rows that give findings -------------------------------------------------------------


def test_hunk_with_wrong_counts(capsys: pytest.CaptureFixture[str], git_series: GitSeries) -> None:
    second = patch_files(git_series)[2]
    text = second.read_text()
    header = re.search(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@", text, re.M)
    assert header
    old_len = int(header.group(2))
    broken = text.replace(
        header.group(0), header.group(0).replace(f",{old_len} +", f",{old_len + 3} +")
    )
    second.write_text(broken)
    code, doc = run_json(capsys, str(git_series.patch_dir))
    assert code == 1
    malformed = [f for f in doc["findings"] if f["rule"] == "malformed-hunk"]
    assert len(malformed) == 1
    assert (malformed[0]["patch"], malformed[0]["file"]) == (2, "mm/hotplug.c")
    assert isinstance(malformed[0]["line"], int)
    assert [p["malformed"] for p in doc["patches"]] == [False, True, False, False]


def test_message_cut_off_mid_hunk(
    capsys: pytest.CaptureFixture[str], git_series: GitSeries
) -> None:
    text = git_series.mbox.read_text()
    cut = text.index("+\tnr_added += n;")  # inside the last patch's only hunk
    git_series.mbox.write_text(text[:cut])
    code, doc = run_json(capsys, str(git_series.mbox))
    assert code == 1
    malformed = [f for f in doc["findings"] if f["rule"] == "malformed-hunk"]
    assert [(f["patch"], f["file"]) for f in malformed] == [(4, "mm/hotplug.c")]
    assert [p["number"] for p in doc["patches"]] == [1, 2, 3, 4]


def test_patch_two_of_four_missing(
    capsys: pytest.CaptureFixture[str], git_series: GitSeries
) -> None:
    patch_files(git_series)[2].unlink()
    code, doc = run_json(capsys, str(git_series.patch_dir))
    assert code == 1
    errors = [f for f in doc["findings"] if f["rule"] == "incomplete-series"]
    assert [f["message"] for f in errors] == ["incomplete series: 2/4 missing"]
    assert [p["number"] for p in doc["patches"]] == [1, 3, 4]


def test_two_versions_mixed(capsys: pytest.CaptureFixture[str], git_series: GitSeries) -> None:
    repo = git_series.repo
    git(
        repo,
        "commit",
        "-q",
        "--amend",
        "-m",
        "mm: rename counter to nr_added\n\nv2 wording.\n\n"
        "Signed-off-by: Ada Hacker <ada@example.org>",
    )
    git(
        repo,
        "format-patch",
        "-q",
        "-v2",
        "--cover-letter",
        "-o",
        str(git_series.patch_dir),
        f"{git_series.base}..HEAD",
    )
    code, doc = run_json(capsys, str(git_series.patch_dir))
    assert code == 0
    assert doc["series"]["version"] == 2
    warnings = [f for f in doc["findings"] if f["rule"] == "mixed-versions"]
    assert [f["severity"] for f in warnings] == ["warning"]
    assert "v1 (4 patches)" in warnings[0]["message"]


def test_claimed_patch_diffstat_differs(
    capsys: pytest.CaptureFixture[str], git_series: GitSeries
) -> None:
    first = patch_files(git_series)[1]
    text = first.read_text()
    line = re.search(r"^ mm/hotplug.c +\| +(\d+) \+*$", text, re.M)
    assert line
    wrong = int(line.group(1)) + 2
    first.write_text(
        text.replace(line.group(0), line.group(0).replace(f"| {line.group(1)}", f"| {wrong}"))
    )
    code, doc = run_json(capsys, str(git_series.patch_dir))
    assert code == 1
    mismatches = [f for f in doc["findings"] if f["rule"] == "diffstat-mismatch"]
    assert [(f["patch"], f["file"]) for f in mismatches] == [(1, "mm/hotplug.c")]
    assert doc["patches"][0]["diffstat"]["ok"] is False


def test_edited_cover_diffstat_line_is_reported_at_that_file(
    capsys: pytest.CaptureFixture[str], git_series: GitSeries
) -> None:
    cover = patch_files(git_series)[0]
    text = cover.read_text()
    line = re.search(r"^ include/linux/hotplug.h +\| +(\d+) ", text, re.M)
    assert line
    cover.write_text(text.replace(line.group(0), line.group(0).replace(line.group(1), "9")))
    code, doc = run_json(capsys, str(git_series.patch_dir))
    assert code == 1
    assert doc["cover"]["diffstat"]["ok"] is False
    mismatches = [f for f in doc["findings"] if f["rule"] == "cover-diffstat-mismatch"]
    assert [f["file"] for f in mismatches] == ["include/linux/hotplug.h"]


# --- rows that parse cleanly ---------------------------------------------------------------


def _same_patches(a: dict, b: dict) -> None:
    def key(doc: dict) -> list:
        return [
            (p["number"], p["subject"], p["author"], p["files"], p["diffstat"])
            for p in doc["patches"]
        ]

    assert key(a) == key(b)


def test_sources_agree(capsys: pytest.CaptureFixture[str], git_series: GitSeries) -> None:
    code_dir, from_dir = run_json(capsys, str(git_series.patch_dir))
    code_mbox, from_mbox = run_json(capsys, str(git_series.mbox))
    code_git, from_git = run_json(
        capsys, f"git:{git_series.repo}@{git_series.base}..{git_series.tip}"
    )
    assert code_dir == code_mbox == code_git == 0
    _same_patches(from_dir, from_mbox)
    _same_patches(from_dir, from_git)
    assert from_dir["dependencies"] == from_mbox["dependencies"] == from_git["dependencies"]
    expected = {
        path: int(a) + int(d)
        for a, d, path in (
            line.split("\t")
            for line in git(
                git_series.repo, "diff", "--numstat", f"{git_series.base}..{git_series.tip}"
            ).splitlines()
        )
    }
    for doc in (from_dir, from_mbox, from_git):
        assert doc["cover"]["diffstat"]["computed"]["per_file"] == expected
        assert doc["cover"]["diffstat"]["ok"] is True


def _with_body(mail: str, charset: str, transfer: str, body: bytes) -> bytes:
    """The mail with its body replaced and its MIME headers saying how it is encoded."""
    head = mail.split("\n\n", 1)[0] + "\n"
    head = re.sub(
        r"^(MIME-Version|Content-Type|Content-Transfer-Encoding):.*\n", "", head, flags=re.M
    )
    mime = (
        f"MIME-Version: 1.0\nContent-Type: text/plain; charset={charset}\n"
        f"Content-Transfer-Encoding: {transfer}\n\n"
    )
    return (head + mime).encode("ascii") + body


def _reencode(mail: str, transfer: str) -> bytes:
    raw = mail.split("\n\n", 1)[1].encode("utf-8")
    body = base64.encodebytes(raw) if transfer == "base64" else quopri.encodestring(raw)
    return _with_body(mail, "utf-8", transfer, body)


@pytest.mark.parametrize("transfer", ["base64", "quoted-printable"])
def test_transfer_encodings(
    capsys: pytest.CaptureFixture[str], git_series: GitSeries, transfer: str
) -> None:
    _, plain = run_json(capsys, str(git_series.patch_dir))
    for path in patch_files(git_series):
        path.write_bytes(_reencode(path.read_text(), transfer))
    code, encoded = run_json(capsys, str(git_series.patch_dir))
    assert code == 0
    _same_patches(plain, encoded)


def test_crlf(capsys: pytest.CaptureFixture[str], git_series: GitSeries) -> None:
    _, plain = run_json(capsys, str(git_series.mbox))
    git_series.mbox.write_bytes(git_series.mbox.read_bytes().replace(b"\n", b"\r\n"))
    code, crlf = run_json(capsys, str(git_series.mbox))
    assert code == 0
    _same_patches(plain, crlf)


def _base_repo(tmp_path: Path) -> Path:
    """A repository whose one commit holds a.c, for a patch of our own on top."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.c").write_text("int a;\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def test_latin1_patch(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = _base_repo(tmp_path)
    (repo / "a.c").write_text("int a;\n/* d\u00e9j\u00e0 vu, Fran\u00e7ois */\n")
    git(repo, "commit", "-q", "-am", "a: comment\n\nSigned-off-by: Ada Hacker <ada@example.org>")
    mail = git(repo, "format-patch", "--stdout", "-1")
    latin = tmp_path / "latin1.patch"
    latin.write_bytes(
        _with_body(mail, "iso-8859-1", "8bit", mail.split("\n\n", 1)[1].encode("latin-1"))
    )
    code, doc = run_json(capsys, str(latin))
    assert code == 0
    assert doc["patches"][0]["files"][0]["added"] == 1
    assert doc["patches"][0]["diffstat"]["ok"] is True


def test_binary_diff(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = _base_repo(tmp_path)
    (repo / "firmware.bin").write_bytes(bytes(range(256)) * 4)
    (repo / "a.c").write_text("int a;\nint b;\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add firmware\n\nSigned-off-by: Ada Hacker <ada@example.org>")
    out = tmp_path / "out"
    git(repo, "format-patch", "-q", "--binary", "-o", str(out), "-1")
    code, doc = run_json(capsys, str(out))
    assert code == 0
    files = {f["path"]: f for f in doc["patches"][0]["files"]}
    assert files["firmware.bin"]["binary"] is True
    assert (files["a.c"]["added"], files["a.c"]["removed"]) == (1, 0)
    assert doc["patches"][0]["diffstat"]["ok"] is True


def test_patch_that_contradicts_an_earlier_one(
    capsys: pytest.CaptureFixture[str], git_series: GitSeries
) -> None:
    fourth = patch_files(git_series)[4]
    text = fourth.read_text()
    assert "-\tif (counter + n < counter)\n" in text  # a line patch 2 added
    fourth.write_text(
        text.replace("-\tif (counter + n < counter)", "-\tif (counter + n <= counter)")
    )
    code, doc = run_json(capsys, str(git_series.patch_dir))
    assert code == 1
    failed = [f for f in doc["findings"] if f["rule"] == "replay-failed"]
    assert len(failed) == 1
    assert "4/4" in failed[0]["message"] and "mm/hotplug.c" in failed[0]["message"]
    assert doc["dependencies"] == [] and doc["cover"]["diffstat"]["ok"] is None
