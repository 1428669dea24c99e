"""Every hostile input through the real CLI: its exact one-line error and exit 2, or a parse.

Each refused case runs through stat, check and report; each parsed case's `stat --json`
is checked against what the fixture itself holds, then check and report must finish.
Always: no traceback, the input unchanged, nothing written outside the output folder.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import corpus
from tests.hostile.corpus import FIXTURES
from tests.hostile.harness import run, run_process, snapshot
from tests.ingest.test_mail_forms import FORMS

MiB = 1 << 20


@dataclass(frozen=True)
class Refused:
    make: Callable[[Path], Path]  # the input, built in (or named from) the given folder
    line: Callable[[Path], str]  # the error line, given the input's path
    flags: tuple[str, ...] = ()
    commands: tuple[str, ...] = ("stat", "check", "report")


def fixture(name: str) -> Callable[[Path], Path]:
    return lambda _: FIXTURES / name


REFUSED: dict[str, Refused] = {
    "empty file": Refused(fixture("empty.patch"), lambda p: f"{p} is empty"),
    "directory of nothing": Refused(
        corpus.empty_folder,
        lambda p: f"{p} holds no .patch, .eml, .mbox files",
    ),
    "manifest naming a missing file": Refused(
        fixture("manifest-missing.toml"),
        lambda p: (
            f"{p}: no source could be read: no-such-thread.mbox "
            f"(no such file or directory: {p.parent / 'no-such-thread.mbox'})"
        ),
    ),
    "manifest naming a missing absolute path": Refused(
        lambda d: corpus.manifest(d, "absent", ["/nonexistent-h1/thread.mbox"]),
        lambda p: (
            f"{p}: no source could be read: /nonexistent-h1/thread.mbox "
            "(no such file or directory: /nonexistent-h1/thread.mbox)"
        ),
    ),
    "manifest nested 5000 arrays deep": Refused(
        lambda d: corpus.write(d, "deep.toml", "z = " + "[" * 5000 + "]" * 5000 + "\n"),
        lambda p: f"{p}: invalid TOML: maximum recursion depth exceeded",
    ),
    "1 MB subject": Refused(
        lambda d: corpus.write(d, "subject.eml", corpus.toy_mail("[PATCH] " + "s" * 999_992)),
        lambda p: (
            f"{p}: header Subject: length is 1,000,000, over the limit of 65,536 "
            "(raise it with --max-header-length)"
        ),
    ),
    "100 MB line": Refused(
        lambda d: corpus.long_line(d, 100 * MiB),
        lambda p: (
            f"{p}: the longest line in bytes is {100 * MiB:,}, over the limit of 1,048,576 "
            "(raise it with --max-line-length)"
        ),
    ),
    "a 2 MiB line made of quoted-printable soft breaks": Refused(
        lambda d: corpus.soft_broken(d, 2 * MiB),
        lambda p: (
            f"{p}: the longest decoded line in characters is {2 * MiB:,}, over the limit of "
            "1,048,576 (raise it with --max-line-length)"
        ),
    ),
    "C nested 3000 parentheses deep": Refused(
        lambda d: corpus.write(
            d, "parens.patch", corpus.toy_mail("[PATCH] x", added="(" * 3000 + "2" + ")" * 3000)
        ),
        lambda _: "patch 1: mm/toy.c: C code nested too deep to analyse",
        commands=("check", "report"),  # stat reads no C
    ),
    "UTF-8 declared as UTF-16": Refused(
        lambda d: corpus.declared(d, "utf-16", "utf-8"),
        lambda p: f"no patch in {p}",  # read as declared, the body is no text at all
    ),
    "500 levels of multipart": Refused(
        lambda d: corpus.nested(d, 500),
        lambda p: (
            f"{p}: MIME nesting depth is 500, over the limit of 32 (raise it with --max-mime-depth)"
        ),
    ),
    "5000 levels of multipart": Refused(
        lambda d: corpus.nested(d, 5000),
        lambda p: f"{p}: MIME parts nested too deep for Python's parser (--max-mime-depth is 32)",
    ),
    "2000 patches all 1/3": Refused(
        lambda d: corpus.all_first(d, 2000),
        lambda p: (
            f"{p}: the number of patch mails is 2,000, over the limit of 1,000 "
            "(raise it with --max-patches)"
        ),
    ),
    "a thread over --max-input-bytes": Refused(
        fixture("missing-2-of-4.mbox"),
        lambda p: (
            f"{p}: the size in bytes is {p.stat().st_size:,}, over the limit of 100 "
            "(raise it with --max-input-bytes)"
        ),
        ("--max-input-bytes", "100"),
    ),
}


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None) -> tuple[Path, Path]:
    """(input folder, work folder); the work folder is the cwd and the temp folder's parent."""
    inputs, work = tmp_path / "in", tmp_path / "work"
    inputs.mkdir()
    (work / "tmp").mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(work / "tmp"))
    return inputs, work


@pytest.mark.parametrize("name", REFUSED)
def test_refused_with_one_line(
    name: str, sandbox: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, work = sandbox
    case = REFUSED[name]
    source = case.make(inputs)
    before = snapshot(inputs.parent, FIXTURES)
    expected = f"patchscope: {case.line(source)}\n"
    for command in case.commands:
        output = ["-o", str(work / "out")] if command == "report" else []
        ran = run(capsys, command, *output, str(source), *case.flags)
        assert (ran.code, ran.err) == (2, expected), command
    assert snapshot(inputs.parent, FIXTURES) == before


def _only(document: dict[str, Any]) -> dict[str, Any]:
    (patch,) = document["patches"]
    assert isinstance(patch, dict)
    return patch


def _rules(document: dict[str, Any]) -> list[str]:
    return [f["rule"] for f in document["findings"]]


def _files(patch: dict[str, Any]) -> list[tuple[str, str, bool, int, int]]:
    return [(f["path"], f["status"], f["binary"], f["added"], f["removed"]) for f in patch["files"]]


def _truncated_header(doc: dict[str, Any]) -> None:
    # the cut falls inside the Date: header, before any body: a patch mail without a diff
    patch = _only(doc)
    assert (patch["number"], patch["subject"], patch["files"]) == (1, "toy: cut", [])
    assert "no-diff" in _rules(doc)


def _truncated_hunk(doc: dict[str, Any]) -> None:
    (finding,) = [f for f in doc["findings"] if f["rule"] == "malformed-hunk"]
    assert finding["file"] == "mm/toy.c"
    assert finding["message"].startswith("hunk @@ -1,4 +1,5 @@ in mm/toy.c expects 4 old / 5 new")


def _wrong_counts(doc: dict[str, Any]) -> None:
    # 2 context lines, 1 removed, 1 added: 3 old and 3 new lines against 3 and 5 claimed
    (finding,) = [f for f in doc["findings"] if f["rule"] == "malformed-hunk"]
    assert finding["message"] == (
        "hunk @@ -1,3 +1,5 @@ in mm/toy.c expects 3 old / 5 new lines, found 3 / 3 "
        "(the diff ends inside it)"
    )


def _bad_base64(doc: dict[str, Any]) -> None:
    # the lenient base64 decoder skips the junk and finds the diff --git line in the rest
    patch = _only(doc)
    assert patch["subject"] == "toy: a body in broken base64"
    assert [f["path"] for f in patch["files"]] == ["mm/toy.c"]
    assert "signoff-missing" in _rules(doc)


def _unknown_charset(doc: dict[str, Any]) -> None:
    # x-klingon is no codec: the 8-bit byte 0xE9 reads as UTF-8 with replacement
    patch = _only(doc)
    assert (patch["subject"], patch["author"]["name"]) == ("toy: caf\ufffd", "K\ufffdm")
    assert _files(patch) == [("mm/toy.c", "modified", False, 1, 1)]


def _odd_encodings(doc: dict[str, Any]) -> None:
    # an ISO-8859-1 subject, a UTF-8 name, an undeclared Latin-1 body that signs off
    patch = _only(doc)
    assert (patch["subject"], patch["author"]["name"]) == ("mm: größer", "Jürgen Müller")
    assert doc["findings"] == []


def _wide(doc: dict[str, Any]) -> None:
    assert _files(_only(doc)) == [("mm/toy.c", "modified", False, 1, 1)]
    assert doc["findings"] == []


def _nul_bytes(doc: dict[str, Any]) -> None:
    patch = _only(doc)
    assert patch["subject"] == "toy: nul\x00 bytes"
    assert _files(patch) == [("mm/toy.c", "modified", False, 1, 1)]


def _binary(doc: dict[str, Any]) -> None:
    patch = _only(doc)
    assert _files(patch) == [("firmware/toy.bin", "added", True, 0, 0)]
    assert doc["findings"] == []


def _missing_two(doc: dict[str, Any]) -> None:
    assert [p["number"] for p in doc["patches"]] == [1, 3, 4]
    (finding,) = [f for f in doc["findings"] if f["rule"] == "incomplete-series"]
    assert finding["message"] == "incomplete series: 2/4 missing"


def _absolute(doc: dict[str, Any]) -> None:
    # "+++ /etc/passwd" loses its leading "/" as patch -p1 strips it: a path in the tree
    assert [f["path"] for f in _only(doc)["files"]] == ["etc/passwd"]


def _climbing(doc: dict[str, Any]) -> None:
    assert [f["path"] for f in _only(doc)["files"]] == ["../../h1-escaped"]
    (finding,) = [f for f in doc["findings"] if f["rule"] == "replay-failed"]
    assert finding["message"] == "patch 1/1: unsafe file path '../../h1-escaped'"


TITLE_10K = "t" * 10_000


def _long_subject(doc: dict[str, Any]) -> None:
    assert _only(doc)["subject"] == f"toy: {TITLE_10K}"


def _all_first(doc: dict[str, Any]) -> None:
    # each mail is a posting of its own (its 1/3 is taken); all dated alike, the last in the
    # mbox is used and the warning names the first ten of the 1999 others
    patch = _only(doc)
    assert patch["message_id"] == "first-1999@example.org"
    (reposted,) = [f["message"] for f in doc["findings"] if f["rule"] == "reposted"]
    named = ", ".join(f"first-{i}@example.org" for i in range(10))
    assert reposted.startswith("posted 2000 times without a new version: analysing the latest")
    assert reposted.endswith(f"not the others: {named} and 1989 more")
    (finding,) = [f for f in doc["findings"] if f["rule"] == "incomplete-series"]
    assert finding["message"] == "incomplete series: 2/3 to 3/3 missing"


def _outside_manifest(doc: dict[str, Any]) -> None:
    assert doc["series"]["name"] == "outside"
    assert [p["number"] for p in doc["patches"]] == [1, 3, 4]


def _unreadable_headers(doc: dict[str, Any]) -> None:
    unreadable = [f for f in doc["findings"] if f["rule"] == "unreadable-header"]
    assert len(unreadable) == 8 and {f["severity"] for f in unreadable} == {"info"}


def _patches(doc: dict[str, Any]) -> None:
    assert doc["patches"]


def _outside(folder: Path) -> Path:
    """A manifest whose mbox lies outside the manifest's folder, as the reference's does."""
    shutil.copy(FIXTURES / "missing-2-of-4.mbox", folder / "t.mbox")
    return corpus.manifest(folder / "manifests", "outside", ["../t.mbox"])


@dataclass(frozen=True)
class Parsed:
    make: Callable[[Path], Path]
    check: Callable[[dict[str, Any]], None]
    flags: tuple[str, ...] = ()


PARSED: dict[str, Parsed] = {
    "mbox cut mid-header": Parsed(fixture("truncated-mid-header.mbox"), _truncated_header),
    "patch cut mid-hunk": Parsed(fixture("truncated-mid-hunk.patch"), _truncated_hunk),
    "wrong hunk counts": Parsed(fixture("wrong-hunk-counts.patch"), _wrong_counts),
    "bad base64": Parsed(fixture("bad-base64.eml"), _bad_base64),
    "unknown charset": Parsed(fixture("unknown-charset.eml"), _unknown_charset),
    "odd encodings": Parsed(fixture("odd-encodings.eml"), _odd_encodings),
    "UTF-16 body": Parsed(lambda d: corpus.declared(d, "utf-16", "utf-16"), _wide),
    "NUL bytes": Parsed(fixture("nul-bytes.patch"), _nul_bytes),
    "binary diff": Parsed(fixture("binary.patch"), _binary),
    "missing 2/4": Parsed(fixture("missing-2-of-4.mbox"), _missing_two),
    "+++ /etc/passwd": Parsed(fixture("absolute.patch"), _absolute),
    "../ paths": Parsed(fixture("climb-out.patch"), _climbing),
    "10,000-character subject": Parsed(
        lambda d: corpus.write(d, "long.eml", corpus.toy_mail(f"[PATCH] toy: {TITLE_10K}")),
        _long_subject,
    ),
    "2000 patches all 1/3, limit raised": Parsed(
        lambda d: corpus.all_first(d, 2000), _all_first, ("--max-patches", "2000")
    ),
    "manifest naming a file outside its folder": Parsed(_outside, _outside_manifest),
    # the mail forms of tests/ingest/test_mail_forms.py, through every command
    "dates, ids, charsets and counts past their limits": Parsed(
        lambda _: FORMS / "header-limits.mbox", _unreadable_headers
    ),
    **{
        f"mail form {path.name}": Parsed(lambda _, path=path: path, _patches)
        for path in sorted(FORMS.glob("*.mbox"))
    },
}


@pytest.mark.parametrize("name", PARSED)
def test_parsed_as_the_fixture_says(
    name: str, sandbox: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, work = sandbox
    case = PARSED[name]
    source = str(case.make(inputs))
    before = snapshot(inputs.parent, FIXTURES)
    stat = run(capsys, "stat", "--json", source, *case.flags)
    assert (stat.code, stat.err) in ((0, ""), (1, ""))
    case.check(json.loads(stat.out))
    assert run(capsys, "check", source, *case.flags).code in (0, 1)
    report = run(capsys, "report", "-o", str(work / "out"), source, *case.flags)
    assert report.code == 0 and (work / "out" / "index.html").is_file()
    after = snapshot(inputs.parent, FIXTURES)
    assert {k: v for k, v in after.items() if not k.startswith(str(work / "out"))} == before


def test_gzip_bomb_from_lore_stops_at_the_flag(
    fake_lore: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """64 MiB of zeros, 64 KiB on the wire, refused at the 1 MiB --max-input-bytes asks for."""
    from tests.ingest.test_lore import gzip_of_zeros

    fake_lore.serve("bomb@example.org", gzip_of_zeros(64 * MiB))
    monkeypatch.chdir(tmp_path)
    env = {"PATCHSCOPE_LORE_URL": fake_lore.url, "PATCHSCOPE_CACHE_DIR": str(tmp_path / "cache")}
    ran = run_process(tmp_path, env, "stat", "bomb@example.org", "--max-input-bytes", str(MiB))
    assert (ran.code, ran.err) == (
        2,
        "patchscope: lore thread bomb@example.org is larger than 1,048,576 bytes uncompressed, "
        "the limit (raise it with --max-input-bytes)\n",
    )
    assert list((tmp_path / "cache" / "lore").iterdir()) == []


@pytest.mark.parametrize("name", ["100 MB line", "5000 levels of multipart", "empty file"])
def test_no_traceback_from_a_process(name: str, tmp_path: Path) -> None:
    case = REFUSED[name]
    source = case.make(tmp_path)
    ran = run_process(tmp_path, {}, "check", str(source))
    assert (ran.code, ran.err) == (2, f"patchscope: {case.line(source)}\n")


@pytest.mark.parametrize("model", ["__init__", "sys", "..x"])
def test_a_manifest_names_no_module_outside_the_stage_modules(
    model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = corpus.manifest(tmp_path, "modelled", [str(FIXTURES / "missing-2-of-4.mbox")])
    source.write_text(source.read_text() + f'model = "{model}"\n')
    ran = run(capsys, "replay", "online", "--series", str(source))
    assert (ran.code, ran.err) == (
        2,
        f"patchscope: no model for this series: no stage module '{model}'\n",
    )


def test_a_baseline_nested_too_deep_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = corpus.write(tmp_path, "deep.toml", "z = " + "{a=" * 5000 + "1" + "}" * 5000)
    patch = corpus.write(tmp_path, "toy.patch", corpus.toy_mail("[PATCH] toy: double"))
    ran = run(capsys, "check", str(patch), "--baseline", str(baseline))
    why = "maximum recursion depth exceeded"
    assert (ran.code, ran.err) == (2, f"patchscope: baseline {baseline} is not valid TOML: {why}\n")
