"""Discovery: the generated archive's series come back as the generator built them."""

from __future__ import annotations

import pickle
from pathlib import Path

from patchscope.batch.discover import discover
from tests.batch.conftest import Archive
from tests.conftest import REFERENCE_MBOX


def test_every_version_of_every_thread_is_one_series(archive: Archive) -> None:
    found = discover([str(archive.folder)])
    got = sorted(
        (t.title, t.version, tuple(sorted(m.subject for m in t.mails))) for t in found.tasks
    )
    expected = sorted((b.title, b.version, b.subjects) for b in archive.built)
    assert got == expected
    assert found.unreadable == ()


def test_chatter_without_a_patch_is_no_series(archive: Archive) -> None:
    found = discover([str(archive.folder)])
    assert archive.folder.joinpath("part-1.mbox").read_text().count("meeting notes") >= 1
    assert not any("meeting notes" in m.subject for t in found.tasks for m in t.mails)


def test_a_thread_split_over_two_files_is_still_one_series(archive: Archive) -> None:
    found = discover([str(archive.folder)])
    spread = [t for t in found.tasks if len({m.origin.split("#")[0] for m in t.mails}) == 2]
    assert spread  # the archive deals each thread's mails round-robin over both files


def test_the_same_mail_given_twice_counts_once(archive: Archive) -> None:
    part = str(archive.folder / "part-1.mbox")
    once = discover([str(archive.folder)])
    twice = discover([str(archive.folder), part])
    assert [len(t.mails) for t in twice.tasks] == [len(t.mails) for t in once.tasks]


def test_tasks_travel_by_pickle_and_the_reference_carries_its_model(archive: Archive) -> None:
    found = discover([str(archive.folder), str(REFERENCE_MBOX)])
    assert pickle.loads(pickle.dumps(found.tasks)) == found.tasks
    with_model = [(t.key, t.model.name, t.model.module) for t in found.tasks if t.model]
    assert with_model == [
        ("20190122103708.11043-1-osalvador@suse.de", "memmap-hotadd-rfc-v2", "memmap_hotadd_rfc_v2")
    ]


def test_an_unreadable_mail_file_is_recorded_and_the_rest_read(
    archive: Archive, tmp_path: Path
) -> None:
    bad = tmp_path / "empty.mbox"
    bad.write_bytes(b"")
    found = discover([str(archive.folder), str(bad)])
    assert [(u.source, u.error) for u in found.unreadable] == [(str(bad), f"{bad} is empty")]
    assert len(found.tasks) == len(archive.built)


def test_a_patch_another_sender_posts_into_a_thread_is_its_own_series(
    archive: Archive, tmp_path: Path
) -> None:
    cover = "archive-4-v1-0@patchscope.invalid"  # Spec(4): one patch and its cover
    extra = tmp_path / "extra.eml"
    extra.write_text(
        "From: Rita Reviewer <rita@example.net>\nSubject: [PATCH] mm: do it this way instead\n"
        f"Message-Id: <instead@example.net>\nIn-Reply-To: <{cover}>\nReferences: <{cover}>\n"
        "\nSigned-off-by: Rita Reviewer <rita@example.net>\n"
    )
    before = {t.key: t for t in discover([str(archive.folder)]).tasks}
    after = {t.key: t for t in discover([str(archive.folder), str(extra)]).tasks}
    assert set(after) == {*before, "instead@example.net"}
    assert after[cover] == before[cover]
    assert [m.subject for m in after["instead@example.net"].mails] == [
        "[PATCH] mm: do it this way instead"
    ]
