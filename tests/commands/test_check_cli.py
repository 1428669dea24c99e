"""`patchscope check`: every finding in one list, JSON by its schema, exit codes by --fail-on."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from patchscope.cli import main
from tests.checks.kit import Made, make_series
from tests.conftest import REFERENCE_MANIFEST, ROOT

SCHEMA = json.loads((ROOT / "patchscope" / "schema" / "check.schema.json").read_text())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code, out, _ = run(capsys, *argv, "--json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    return code, document


def test_reference_series_runs_every_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(capsys, str(REFERENCE_MANIFEST), "--offline", "--fail-on", "error")
    assert code in (0, 1)
    findings = document["findings"]
    assert code == (1 if any(f["severity"] == "error" for f in findings) else 0)
    for finding in findings:
        jsonschema.validate({"schema_version": 1, "findings": [finding]}, SCHEMA)
    table_code, out, err = run(capsys, str(REFERENCE_MANIFEST), "--offline")
    assert (table_code, err) == (code, "")
    assert out.strip()


def _undeclared(tmp_path: Path) -> Made:
    """One error (a variable no header declares) and one warning (driver state read by mm)."""
    patch = {
        "mm/hpknob.c": "bool hp_knob = true;\n\nvoid hp_add(void)\n{\n"
        "\tif (hp_knob)\n\t\thp_added++;\n}\n",
        "drivers/hp/probe.c": "void hp_probe(void)\n{\n\thp_knob = false;\n}\n",
    }
    return make_series(tmp_path, {"mm/Makefile": "obj-y += hpknob.o\n"}, [("mm: knob", patch)])


def test_findings_sorted_and_exit_by_fail_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = str(_undeclared(tmp_path).patch_dir)
    code, document = run_json(capsys, source)
    rules = [(f["severity"], f["rule"], f["file"]) for f in document["findings"]]
    assert rules == [
        ("error", "undeclared-global", "drivers/hp/probe.c"),
        ("warning", "cross-area-state", "drivers/hp/probe.c"),
    ]
    assert code == 1
    assert run_json(capsys, source, "--fail-on", "never")[0] == 0
    assert run_json(capsys, source, "--fail-on", "warning")[0] == 1


def test_warning_alone_fails_only_from_warning_up(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    patch = {
        "include/linux/hpflags.h": "#define HP_ALT 1 << 2\n",
        "mm/hpflags.c": "#include <linux/hpflags.h>\n\nunsigned long hp_flags;\n\n"
        "void hp_clear(void)\n{\n\thp_flags &= ~HP_ALT;\n}\n",
    }
    made = make_series(tmp_path, {"mm/Makefile": "obj-y += hpflags.o\n"}, [("mm: flags", patch)])
    code, document = run_json(capsys, str(made.patch_dir))
    assert [f["rule"] for f in document["findings"]] == ["macro-precedence"]
    assert code == 0
    assert run_json(capsys, str(made.patch_dir), "--fail-on", "warning")[0] == 1


def test_table_names_rule_place_and_evidence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, str(_undeclared(tmp_path).patch_dir))
    assert (code, err) == (1, "")
    assert "undeclared-global" in out and "cross-area-state" in out
    assert "drivers/hp/probe.c:3" in out
    assert "used: drivers/hp/probe.c:3: hp_knob = false;" in out


def test_tree_findings_join_the_list(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    made = _undeclared(tmp_path)
    code, document = run_json(capsys, str(made.patch_dir), "--tree", f"git:{made.repo}@{made.base}")
    assert code == 1
    assert {f["rule"] for f in document["findings"]} >= {"undeclared-global", "cross-area-state"}


def test_bad_source_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nothing.mbox"
    assert run(capsys, str(missing)) == (
        2,
        "",
        f"patchscope: no such file or directory: {missing}\n",
    )


def test_bad_tree_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    made = _undeclared(tmp_path)
    code, out, err = run(capsys, str(made.patch_dir), "--tree", str(tmp_path / "no-tree"))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "no-tree" in err


def test_schema_rejects_an_unknown_severity() -> None:
    finding = {
        "rule": "macro-precedence",
        "fingerprint": "0123456789abcdef",
        "severity": "fatal",
        "patch": 1,
        "file": "mm/a.c",
        "line": 3,
        "entity": "A",
        "message": "m",
        "evidence": [],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"schema_version": 1, "findings": [finding]}, SCHEMA)
    jsonschema.validate(
        {"schema_version": 1, "findings": [{**finding, "severity": "info"}]}, SCHEMA
    )
