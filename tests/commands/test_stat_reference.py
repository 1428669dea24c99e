"""`patchscope stat --json` on the reference thread, against what the mails themselves say."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from patchscope.cli import main
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, ROOT

SCHEMA = json.loads((ROOT / "patchscope" / "schema" / "stat.schema.json").read_text())


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["stat", *argv, "--json"])
    out = capsys.readouterr().out
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    return code, document


def _messages() -> list[str]:
    text = REFERENCE_MBOX.read_text()
    return re.split(r"^From \S+ \w{3} \w{3} .*\n", text, flags=re.M)[1:]


def _header(message: str, name: str) -> str:
    match = re.search(rf"^{name}: (.*)$", message, flags=re.M | re.I)
    assert match
    return match.group(1)


@pytest.fixture(scope="module")
def reference() -> tuple[int, dict]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["stat", str(REFERENCE_MANIFEST), "--json"])
    document = json.loads(out.getvalue())
    jsonschema.validate(document, SCHEMA)
    return code, document


def test_four_patches_in_order_with_in_body_authors(reference: tuple[int, dict]) -> None:
    code, doc = reference
    assert code == 0
    patch_mails = [
        m for m in _messages() if re.search(r"^Subject: \[RFC PATCH v2 [1-9]/4\]", m, re.M)
    ]
    expected = []
    for mail in patch_mails:
        body = mail.split("\n\n", 1)[1]
        first = body.lstrip("\n").splitlines()[0]
        author = first[len("From: ") :] if first.startswith("From: ") else _header(mail, "From")
        number = int(re.search(r"v2 (\d)/4", _header(mail, "Subject")).group(1))
        expected.append((number, author))
    expected.sort()
    got = [(p["number"], f"{p['author']['name']} <{p['author']['email']}>") for p in doc["patches"]]
    assert got == expected
    assert [p["number"] for p in doc["patches"]] == [1, 2, 3, 4]
    assert doc["series"]["name"] == "memmap-hotadd-rfc-v2"
    assert doc["series"]["version"] == 2 and doc["series"]["rfc"] is True
    assert doc["series"]["message_id"] == "20190122103708.11043-1-osalvador@suse.de"


def test_every_patch_diffstat_is_true(reference: tuple[int, dict]) -> None:
    _, doc = reference
    for patch in doc["patches"]:
        check = patch["diffstat"]
        assert check["ok"] is True, patch["number"]
        assert check["claimed"] == check["computed"]


def _cover_stat() -> tuple[dict[str, int], tuple[int, int, int]]:
    cover = _messages()[0]
    per_file = {
        m.group(1): int(m.group(2)) for m in re.finditer(r"^ (\S+) +\| +(\d+) ", cover, re.M)
    }
    summary = re.search(r"(\d+) files changed, (\d+) insertions\(\+\), (\d+) deletions", cover)
    assert summary
    return per_file, (int(summary.group(1)), int(summary.group(2)), int(summary.group(3)))


def test_composed_diffstat_equals_cover_letter(reference: tuple[int, dict]) -> None:
    _, doc = reference
    per_file, (files, ins, dels) = _cover_stat()
    computed = doc["cover"]["diffstat"]["computed"]
    assert computed["per_file"] == per_file
    assert (computed["files"], computed["insertions"], computed["deletions"]) == (files, ins, dels)
    assert doc["cover"]["diffstat"]["ok"] is True
    summed = sum(sum(p["diffstat"]["computed"]["per_file"].values()) for p in doc["patches"])
    assert summed != ins + dels, "the reference really needs composition, not a sum"


def test_tested_by_reaches_every_patch_and_nothing_else(reference: tuple[int, dict]) -> None:
    _, doc = reference
    trailer_lines = {}
    for mail in _messages():
        mid = _header(mail, "Message-I[dD]").strip("<>")
        body = mail.split("\n\n", 1)[1]
        given = re.findall(r"^([A-Za-z-]+-by): (.+)$", body, re.M)
        if _header(mail, "Subject").startswith("Re:"):
            trailer_lines[mid] = given
    givers = {mid: t for mid, t in trailer_lines.items() if t}
    assert len(givers) == 1
    (mid, [(name, value)]) = givers.popitem()
    for patch in doc["patches"]:
        from_replies = [t for t in patch["trailers"] if t["from_message_id"] != patch["message_id"]]
        assert from_replies == [{"name": name, "value": value, "from_message_id": mid}]


def test_dependencies_carry_the_blob_reasons(reference: tuple[int, dict]) -> None:
    _, doc = reference
    post: dict[str, list[tuple[int, str]]] = {}
    expected: set[tuple[int, int, str]] = set()
    for mail in _messages():
        subject = _header(mail, "Subject")
        m = re.search(r"^\[RFC PATCH v2 ([1-4])/4\]", subject)
        if not m:
            continue
        number = int(m.group(1))
        for path, pre, new in re.findall(
            r"^diff --git a/(\S+) b/\S+\nindex ([0-9a-f]+)\.\.([0-9a-f]+)", mail, re.M
        ):
            for earlier, blob in post.get(path, []):
                if blob.startswith(pre) or pre.startswith(blob):
                    expected.add((number, earlier, path))
            post.setdefault(path, []).append((number, new))
    assert expected, "the reference series chains blobs"
    got = {
        (d["patch"], d["depends_on"], r["file"])
        for d in doc["dependencies"]
        for r in d["reasons"]
        if r["kind"] == "blob"
    }
    assert got == expected


def test_replies_are_tied_to_the_cover(reference: tuple[int, dict]) -> None:
    _, doc = reference
    assert [r["answers"] for r in doc["replies"]] == [0, 0, 0]
    assert [r["message_id"] for r in doc["replies"]] == [
        _header(m, "Message-I[dD]").strip("<>")
        for m in _messages()
        if _header(m, "Subject").startswith("Re:")
    ]


def test_commit_refs_are_collected(reference: tuple[int, dict]) -> None:
    _, doc = reference
    cover_shas = [r["sha"] for r in doc["cover"]["commit_refs"]]
    assert cover_shas == ["31bc3858ea3e"]
    patch3 = doc["patches"][2]
    assert [r["sha"] for r in patch3["commit_refs"]] == ["31bc3858ea3e"]


def test_table_output_names_the_series(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stat", str(REFERENCE_MANIFEST)]) == 0
    out = capsys.readouterr().out
    assert "allocate memmap from hotadded memory" in out
    assert "Tested-by" in out


def test_mbox_without_manifest_gets_the_b4_name(capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = run_json(capsys, str(REFERENCE_MBOX))
    assert doc["series"]["name"] == (
        "v2_20190122_osalvador_mm_memory_hotplug_allocate_memmap_from_hotadded_memory"
    )


def test_json_is_deterministic(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    main(["stat", str(REFERENCE_MBOX), "--json"])
    first = capsys.readouterr().out
    main(["stat", str(REFERENCE_MBOX), "--json"])
    assert capsys.readouterr().out == first
