"""`patchscope batch` on the generated archive and the reference thread: the database, the
index and the exit code, checked against how the archive was built and what the mails say."""

from __future__ import annotations

import csv
import mailbox
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.gen_archive import Built
from patchscope.batch.analyse import analyse
from patchscope.batch.discover import discover
from patchscope.cli import main
from tests.batch.conftest import SPECS, Archive
from tests.batch.dump import rows
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, closed_port

REFERENCE_KEY = "20190122103708.11043-1-osalvador@suse.de"
RAISE = " (raise it with --max-patches)"
BROKEN_KEY = "archive-3-v1-0@patchscope.invalid"  # Spec(3, broken=True): only its cover came


@dataclass(frozen=True)
class Run:
    out: Path
    code: int
    stdout: str


def batch(sources: list[Path], out: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    code = main(["batch", *map(str, sources), "-o", str(out), "--workers", "2"])
    return Run(out, code, capsys.readouterr().out)


@pytest.fixture(scope="module")
def first(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("batch")
    code = main(
        ["batch", str(archive.folder), str(REFERENCE_MBOX), "-o", str(out), "--workers", "2"]
    )
    return Run(out, code, "")


def db(run: Run) -> Path:
    return run.out / "batch.sqlite"


def test_a_failed_series_gives_exit_1_and_the_others_are_analysed(
    first: Run, archive: Archive
) -> None:
    assert first.code == 1
    statuses = rows(db(first), "SELECT key, status, error FROM series WHERE status = 'failed'")
    assert statuses == [(BROKEN_KEY, "failed", f"no patch in {BROKEN_KEY}")]
    ok = rows(db(first), "SELECT count(*) FROM series WHERE status = 'ok'")
    assert ok == [(len(archive.built) - 1 + 1,)]  # every built series but the broken, + reference


def test_patch_rows_are_the_generated_patches(first: Run, archive: Archive) -> None:
    for built in (b for b in archive.built if not b.broken):
        assert _titles(first, built) == list(built.patch_titles)


def _titles(run: Run, built: Built) -> list[str]:
    found = rows(
        db(run),
        "SELECT p.number, p.title FROM patches p JOIN series s ON s.key = p.series_key"
        " WHERE s.title = ? AND s.version = ? ORDER BY p.number",
        built.title,
        built.version,
    )
    assert [n for n, _ in found] == list(range(1, len(found) + 1))
    return [str(title) for _, title in found]


def test_the_reference_series_has_its_four_patches_and_every_claim_holds(first: Run) -> None:
    subjects = [str(m["Subject"]) for m in mailbox.mbox(REFERENCE_MBOX)]
    numbered = sorted(s for s in subjects if "RFC PATCH v2" in s and "/4]" in s and "0/4" not in s)
    expected = [" ".join(s.split("] ", 1)[1].split()) for s in numbered if not s.startswith("Re")]
    got = rows(
        db(first), "SELECT title FROM patches WHERE series_key = ? ORDER BY number", REFERENCE_KEY
    )
    assert [t for (t,) in got] == expected and len(expected) == 4
    with REFERENCE_MANIFEST.open("rb") as handle:
        claims = len(tomllib.load(handle)["claim"])
    assert rows(
        db(first), "SELECT count(*), sum(ok) FROM claims WHERE series_key = ?", REFERENCE_KEY
    ) == [(claims, claims)]
    assert rows(
        db(first), "SELECT model, claims, claims_ok FROM series WHERE key = ?", REFERENCE_KEY
    ) == [("memmap_hotadd_rfc_v2", claims, claims)]


def test_generated_series_have_no_model_and_no_claims(first: Run) -> None:
    assert rows(db(first), "SELECT count(*) FROM claims WHERE series_key != ?", REFERENCE_KEY) == [
        (0,)
    ]


def test_findings_are_those_of_check_and_every_row_has_its_series(first: Run) -> None:
    assert rows(db(first), "PRAGMA foreign_key_check") == []
    # the reference's findings: its ingestion's, the static checks' and the model's, as
    # `check` gives them
    rules = rows(
        db(first), "SELECT DISTINCT rule FROM findings WHERE series_key = ?", REFERENCE_KEY
    )
    assert ("undeclared-global",) in rules
    assert {("model-poisoned-read",), ("model-kernel-bug",)} <= set(rules)


def test_the_index_has_one_row_per_series(first: Run) -> None:
    with (first.out / "index.csv").open(newline="") as handle:
        table = list(csv.DictReader(handle))
    keys = [k for (k,) in rows(db(first), "SELECT key FROM series ORDER BY key")]
    assert [r["key"] for r in table] == keys
    assert {r["key"]: r["status"] for r in table}[BROKEN_KEY] == "failed"
    html = (first.out / "index.html").read_text()
    assert html.count('<tr class="ok">') == len(keys) - 1
    assert html.count('<tr class="failed">') == 1
    assert "Content-Security-Policy" in html


def test_the_same_input_gives_the_same_bytes(
    first: Run, archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    again = batch([archive.folder, REFERENCE_MBOX], tmp_path / "again", capsys)
    for name in ("batch.sqlite", "index.html", "index.csv"):
        assert (again.out / name).read_bytes() == (first.out / name).read_bytes(), name


def test_an_unforeseen_error_fails_only_its_series(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("boom\n  at line two")

    task = discover([str(archive.folder)]).tasks[0]
    monkeypatch.setattr("patchscope.batch.analyse.verify", boom)
    result = analyse(task)
    assert (result.status, result.error) == (
        "failed",
        "internal error: RuntimeError: boom at line two",
    )


def test_output_inside_an_input_folder_is_refused(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    out = archive.folder / "index"
    assert main(["batch", str(archive.folder), "-o", str(out)]) == 2
    expected = f"patchscope: {out}: refusing to write over or into the input {archive.folder}\n"
    assert capsys.readouterr().err == expected
    assert not out.exists()


def test_no_series_at_all_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("not mail\n")
    assert main(["batch", str(tmp_path), "-o", str(tmp_path.parent / "out-none")]) == 2
    assert capsys.readouterr().err == f"patchscope: no series found in {tmp_path}\n"


def test_workers_below_one_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(REFERENCE_MBOX), "-o", str(tmp_path), "--workers", "0"]) == 2
    assert capsys.readouterr().err == "patchscope: --workers must be at least 1, not 0\n"


def test_the_command_limits_reach_the_workers(
    archive: Archive, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "limited"
    assert main(["batch", str(archive.folder), "-o", str(out), "--max-patches", "2"]) == 1
    over = {
        f"archive-{s.seed}-v{v}-0@patchscope.invalid"
        for s in SPECS
        if s.patches > 2 and not s.broken
        for v in range(1, s.versions + 1)
    }
    failed = rows(out / "batch.sqlite", "SELECT key, error FROM series WHERE status = 'failed'")
    limited = {key: error for key, error in failed if key != BROKEN_KEY}
    assert set(limited) == over and over
    for key, error in limited.items():
        assert error == f"{key}: the number of patch mails is 3, over the limit of 2" + RAISE


def test_links_planted_in_the_output_folder_are_never_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    for name in ("batch.sqlite", "batch.sqlite.partial", "index.html"):
        (elsewhere / name).write_text("keep me\n")
        (out / name).symlink_to(elsewhere / name)
    assert main(["batch", str(REFERENCE_MBOX), "-o", str(out), "--workers", "1"]) == 2
    error = f"patchscope: {out / 'index.html'}: refusing to write through a symbolic link\n"
    assert capsys.readouterr().err == error
    assert [(elsewhere / n).read_text() for n in sorted(p.name for p in elsewhere.iterdir())] == [
        "keep me\n"
    ] * 3
    assert not (out / "batch.sqlite").is_symlink()


def test_a_scheduler_that_does_not_answer_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr("patchscope.batch.execute.CONNECT_TIMEOUT", "1s")
    address = f"tcp://127.0.0.1:{closed_port()}"
    code = main(["batch", str(REFERENCE_MBOX), "-o", str(tmp_path), "--scheduler", address])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"patchscope: cannot reach the Dask scheduler {address}: ")
    assert err.count("\n") == 1
    assert not (tmp_path / "batch.sqlite").exists()
