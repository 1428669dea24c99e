"""SOURCE detection: files, directories, bare diffs, and the lines for what cannot be read."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from patchscope.errors import SourceError
from patchscope.ingest import lore
from patchscope.ingest.sources import load
from tests.conftest import REFERENCE_MBOX, GitSeries

pytestmark = pytest.mark.usefixtures("no_network")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"


def message_ids(mbox: Path) -> list[str]:
    return re.findall(r"^Message-Id: <([^>]+)>", mbox.read_text(), flags=re.MULTILINE | re.I)


def subjects(text: str) -> list[str]:
    return re.findall(r"^Subject: (.*)$", text, flags=re.MULTILINE)


def test_reference_mbox() -> None:
    loaded = load(str(REFERENCE_MBOX))
    assert [mail.message_id for mail in loaded.mails] == message_ids(REFERENCE_MBOX)
    assert len(loaded.mails) == 8
    assert (loaded.origin, loaded.name, loaded.message_id) == (str(REFERENCE_MBOX), None, None)


def test_single_mail_file(git_series: GitSeries) -> None:
    patch = sorted(git_series.patch_dir.glob("0002-*.patch"))[0]
    (mail,) = load(str(patch)).mails
    assert [mail.subject] == subjects(patch.read_text())
    assert mail.origin.startswith(str(patch))


def test_directory_in_name_order(tmp_path: Path, git_series: GitSeries) -> None:
    """Files are copied newest name first, so creation order and name order disagree."""
    folder = tmp_path / "dir"
    folder.mkdir()
    for patch in sorted(git_series.patch_dir.glob("*.patch"), reverse=True):
        shutil.copy(patch, folder / patch.name)
    (folder / "notes.txt").write_text("not a mail, and not read\n")
    loaded = load(str(folder))
    expected = [s for p in sorted(folder.glob("*.patch")) for s in subjects(p.read_text())]
    assert [mail.subject for mail in loaded.mails] == expected
    assert expected[0].startswith("[PATCH 0/")


def test_directory_reads_eml_and_mbox_files(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "thread.mbox", tmp_path / "b.mbox")
    shutil.copy(FIXTURES / "bare.diff", tmp_path / "c.diff")  # not a mail suffix: skipped
    (tmp_path / "a.eml").write_text(
        "From: A <a@example.org>\nSubject: hello\nMessage-Id: <hello@example.org>\n\nhi\n"
    )
    loaded = load(str(tmp_path))
    assert [m.message_id for m in loaded.mails] == [
        "hello@example.org",
        *message_ids(FIXTURES / "thread.mbox"),
    ]


def test_directory_without_mail(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(SourceError) as caught:
        load(str(tmp_path))
    assert str(caught.value) == f"{tmp_path} holds no .patch, .eml, .mbox files"


def test_bare_diff_becomes_one_mail() -> None:
    diff = FIXTURES / "bare.diff"
    (mail,) = load(str(diff)).mails
    assert mail.subject == "[PATCH] bare"
    assert mail.body == diff.read_text()
    assert load(str(diff)).mails[0].message_id == mail.message_id  # stable across runs


@pytest.mark.parametrize(
    "head", ["--- a/mm/toy.c\n+++ b/mm/toy.c\n", "Index: mm/toy.c\n===\n--- mm/toy.c\n"]
)
def test_other_diff_flavours(tmp_path: Path, head: str) -> None:
    path = tmp_path / "fix.patch"
    path.write_text(head + "@@ -1 +1 @@\n-a\n+b\n")
    (mail,) = load(str(path)).mails
    assert (mail.subject, mail.body) == ("[PATCH] fix", path.read_text())


def test_mail_that_is_not_a_bare_diff_keeps_its_subject(tmp_path: Path) -> None:
    """The perturbed twin: the same diff after mail headers is a mail, not a synthetic one."""
    path = tmp_path / "fix.patch"
    path.write_text("Subject: [PATCH] real subject\n\n" + (FIXTURES / "bare.diff").read_text())
    (mail,) = load(str(path)).mails
    assert mail.subject == "[PATCH] real subject"


@pytest.mark.parametrize("content", [b"", b"\n  \n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.mbox"
    path.write_bytes(content)
    with pytest.raises(SourceError) as caught:
        load(str(path))
    assert str(caught.value) == f"{path} is empty"


def test_neither_mail_nor_diff() -> None:
    path = FIXTURES / "notes.txt"
    with pytest.raises(SourceError) as caught:
        load(str(path))
    assert str(caught.value) == f"{path} is neither a mail nor a diff"


def test_missing_path() -> None:
    with pytest.raises(SourceError) as caught:
        load("series/does-not-exist.mbox")
    assert str(caught.value) == "no such file or directory: series/does-not-exist.mbox"
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("source", ["toy-0@example.org", "<toy-0@example.org>"])
def test_missing_path_that_is_a_message_id_goes_to_lore(source: str) -> None:
    cached = lore.cache_path("toy-0@example.org")
    cached.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "thread.mbox", cached)
    loaded = load(source, offline=True)
    assert [m.message_id for m in loaded.mails] == message_ids(FIXTURES / "thread.mbox")
    assert (loaded.origin, loaded.message_id) == (str(cached), "toy-0@example.org")


def test_existing_file_wins_over_message_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(FIXTURES / "thread.mbox", tmp_path / "toy-0@example.org")
    loaded = load("toy-0@example.org", offline=True)
    assert (loaded.origin, loaded.message_id) == ("toy-0@example.org", None)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.mbox"
    shutil.copy(FIXTURES / "thread.mbox", path)
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as a user that reads any file")
    with pytest.raises(SourceError) as caught:
        load(str(path))
    assert str(caught.value) == f"cannot read {path}: Permission denied"
