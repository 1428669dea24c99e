"""Manifests: the reference one, sources tried in order, and the lines for bad manifests."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from patchscope.errors import SourceError
from patchscope.ingest import lore
from patchscope.ingest.manifest import read_manifest
from patchscope.ingest.sources import load
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, ROOT

pytestmark = pytest.mark.usefixtures("no_network")

THREAD = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "thread.mbox"


def message_ids(mbox: Path) -> list[str]:
    return re.findall(r"^Message-Id: <([^>]+)>", mbox.read_text(), flags=re.MULTILINE | re.I)


def write_manifest(folder: Path, sources: list[str], msgid: str = "toy-0@example.org") -> Path:
    path = folder / "toy.toml"
    listed = ", ".join(f'"{entry}"' for entry in sources)
    path.write_text(f'name = "toy"\nmessage_id = "{msgid}"\nsources = [{listed}]\n')
    return path


def test_reference_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    loaded = load("series/memmap-hotadd-rfc-v2.toml", offline=True)
    table = tomllib.loads(REFERENCE_MANIFEST.read_text())
    assert len(loaded.mails) == 8
    assert [mail.message_id for mail in loaded.mails] == message_ids(REFERENCE_MBOX)
    assert loaded.name == table["name"] == "memmap-hotadd-rfc-v2"
    assert loaded.message_id == table["message_id"]
    assert Path(loaded.origin).resolve() == REFERENCE_MBOX.resolve()


def test_paths_resolve_against_the_manifest_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The perturbed twin: the same relative path from another folder must not be found."""
    moved = tmp_path / "series" / "memmap-hotadd-rfc-v2.toml"
    moved.parent.mkdir()
    shutil.copy(REFERENCE_MANIFEST, moved)
    monkeypatch.chdir(ROOT)
    with pytest.raises(SourceError) as caught:
        load(str(moved), offline=True)
    missing = moved.parent / "../../shared/series/memmap-hotadd-rfc-v2/thread.mbox"
    msgid = "20190122103708.11043-1-osalvador@suse.de"
    assert str(caught.value) == (
        f"{moved}: no source could be read: "
        f"../../shared/series/memmap-hotadd-rfc-v2/thread.mbox "
        f"(no such file or directory: {missing}); "
        f"cache ({msgid} is not in the cache ({lore.cache_path(msgid)})); "
        f"lore ({msgid} is not in the cache and --offline forbids the network)"
    )


def test_missing_path_falls_through_to_the_cache(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, ["gone.mbox", "cache", "lore"])
    cached = lore.cache_path("toy-0@example.org")
    cached.parent.mkdir(parents=True)
    shutil.copy(THREAD, cached)
    loaded = load(str(manifest), offline=True)
    assert [mail.message_id for mail in loaded.mails] == message_ids(THREAD)
    assert loaded.origin == str(cached)
    assert (loaded.name, loaded.message_id) == ("toy", "toy-0@example.org")


def test_first_working_source_wins(tmp_path: Path) -> None:
    shutil.copy(THREAD, tmp_path / "here.mbox")
    manifest = write_manifest(tmp_path, ["here.mbox", "lore"])
    loaded = load(str(manifest))  # lore would be unreachable: it must not be tried
    assert loaded.origin == str(tmp_path / "here.mbox")
    assert len(loaded.mails) == len(message_ids(THREAD))


def test_lore_entry_reports_unreachable(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, ["lore"])
    with pytest.raises(SourceError) as caught:
        load(str(manifest))
    assert re.fullmatch(
        rf"{re.escape(str(manifest))}: no source could be read: "
        r"lore \(lore unreachable: Connection refused\)",
        str(caught.value),
    )


NAME, MSGID, SOURCES = 'name = "x"\n', 'message_id = "a@b"\n', 'sources = ["cache"]\n'
NOT_A_LIST = "'sources' must be a non-empty list of strings"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('name = "x"\nmessage_id = \n', "invalid TOML: Invalid value (at line 2, column 14)"),
        (MSGID + SOURCES, "missing key 'name'"),
        (NAME + SOURCES, "missing key 'message_id'"),
        (NAME + MSGID, "missing key 'sources'"),
        ('name = ""\n' + MSGID + SOURCES, "'name' must be a non-empty string"),
        (NAME + 'message_id = "a b"\n' + SOURCES, "'message_id' is not a message-id: a b"),
        (NAME + MSGID + 'sources = "cache"\n', NOT_A_LIST),
        (NAME + MSGID + "sources = []\n", NOT_A_LIST),
    ],
)
def test_bad_manifest_lines(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SourceError) as caught:
        load(str(path))
    assert str(caught.value) == f"{path}: {problem}"


def test_message_id_may_carry_brackets(tmp_path: Path) -> None:
    path = write_manifest(tmp_path, ["cache"], msgid="<toy-0@example.org>")
    assert read_manifest(path).message_id == "toy-0@example.org"
