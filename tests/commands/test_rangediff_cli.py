"""`patchscope rangediff` on two `git format-patch -v1/-v2` folders, checked against git."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from patchscope.cli import main
from tests.conftest import ROOT
from tests.diff.test_rangediff import git_range_diff, make_versions, parse_header

SCHEMA = json.loads((ROOT / "patchscope" / "schema" / "rangediff.schema.json").read_text())


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("rangediff-cli")
    make_versions(where)
    return where


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["rangediff", *args, "--offline"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], old: Path, new: Path) -> dict[str, Any]:
    code, stdout, _ = run(capsys, str(old), str(new), "--json")
    assert code == 0
    document: dict[str, Any] = json.loads(stdout)
    jsonschema.validate(document, SCHEMA)
    return document


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {pair["title"]: pair["status"] for pair in document["pairs"]}


def test_json_follows_the_schema_and_names_each_status(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run_json(capsys, out / "v1", out / "v2")
    assert (document["old"]["version"], document["new"]["version"]) == (1, 2)
    assert (document["old"]["patches"], document["new"]["patches"]) == (4, 4)
    assert statuses(document) == {
        "mm/alpha: add alpha_total helper": "unchanged",
        "mm/beta: fail negative sizes": "changed",
        "mm/gamma: drop the debug print": "dropped",
        "mm/epsilon: add range length helper": "new",
        "mm/delta: rename delta_cnt": "unchanged",
    }
    changed_message = {p["title"]: p["message_changed"] for p in document["pairs"] if p["new"]}
    assert changed_message == {
        "mm/alpha: add alpha_total helper": False,
        "mm/beta: fail negative sizes": False,
        "mm/epsilon: add range length helper": False,
        "mm/delta: rename delta_cnt": True,
    }
    reworded = document["pairs"][-1]
    assert reworded["new"]["title"] == "mm/delta: give the counter a descriptive name"


def test_plain_output_has_git_range_diffs_header_lines(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(capsys, str(out / "v1"), str(out / "v2"))
    assert code == 0
    ours = [row for line in stdout.splitlines() if (row := parse_header(line))]
    assert ours == git_range_diff(out / "repo")


def test_a_patch_edited_in_its_mail_turns_changed(
    out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = tmp_path / "v2-edited"
    shutil.copytree(out / "v2", edited)
    alpha = next(edited.glob("v2-0001-*.patch"))
    text = alpha.read_text()
    assert "+\treturn a + b;\n" in text
    alpha.write_text(text.replace("+\treturn a + b;\n", "+\treturn a - b;\n"))
    document = run_json(capsys, out / "v1", edited)
    assert statuses(document)["mm/alpha: add alpha_total helper"] == "changed"
    interdiff = document["pairs"][0]["interdiff"].splitlines()
    assert [line for line in interdiff if line[:1] in "+-"] == [
        "-+\treturn a + b;",
        "++\treturn a - b;",
    ]


def test_schema_rejects_a_status_it_does_not_know(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run_json(capsys, out / "v1", out / "v2")
    document["pairs"][0]["status"] = "moved"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_terminal_view_shows_the_table_and_the_interdiff(
    out: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    code, stdout, _ = run(capsys, str(out / "v1"), str(out / "v2"))
    assert code == 0
    text = re.sub(r"\x1b\[[0-9;]*m", "", stdout)
    for old, sign, new, title in git_range_diff(out / "repo"):
        left, right = (f"{n}:" if n else "-:" for n in (old, new))
        row = rf"{left}\s+\S+ │ {re.escape(sign)} │ {right}\s+\S+ │ {re.escape(title)}"
        assert re.search(row, text), row
    assert re.search(r"^    \+\+\s+return -ERANGE;$", text, re.M)


def test_missing_folder_is_one_line_and_exit_2(
    out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    code, stdout, stderr = run(capsys, str(out / "v1"), str(missing))
    assert (code, stdout) == (2, "")
    assert len(stderr.splitlines()) == 1 and str(missing) in stderr
    assert "Traceback" not in stderr
