"""`patchscope check` with waivers: muted findings shown, not failing; stale waivers reported;
exit codes per --fail-on as the contract's table gives them; --quiet."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from patchscope.cli import main
from tests.checks.kit import Made, make_series
from tests.conftest import ROOT, git

SCHEMA = json.loads((ROOT / "patchscope" / "schema" / "check.schema.json").read_text())
LEVELS = ("error", "warning", "info", "never")
OLD = "int hp_old(void)\n{\n\treturn 1;\n}\n"


def _three_severities(where: Path, knob: str = "hp_knob") -> tuple[Made, str]:
    """A series with one error (a global no header declares), one warning (driver state
    that mm reads) and, on a tree where mm/old.c starts two lines lower, one info (the
    hunk applies at an offset). Returns the series and the --tree argument."""
    patch = {
        "mm/hpknob.c": f"bool {knob} = true;\n\nvoid hp_add(void)\n{{\n"
        f"\tif ({knob})\n\t\thp_added++;\n}}\n",
        "drivers/hp/probe.c": f"void hp_probe(void)\n{{\n\t{knob} = false;\n}}\n",
        "mm/old.c": OLD.replace("return 1", "return 2"),
    }
    base = {"mm/Makefile": "obj-y += hpknob.o\n", "mm/old.c": OLD}
    made = make_series(where, base, [("mm: knob", patch)])
    git(made.repo, "checkout", "-q", "-b", "shifted", made.base)
    (made.repo / "mm" / "old.c").write_text("/* one */\n/* two */\n" + OLD)
    git(made.repo, "commit", "-q", "-a", "-m", "shift old.c down by two lines")
    return made, f"git:{made.repo}@shifted"


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> tuple[Made, str]:
    return _three_severities(tmp_path_factory.mktemp("three"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def check_json(
    capsys: pytest.CaptureFixture[str], made: Made, tree: str, *extra: str
) -> tuple[int, list[dict[str, object]]]:
    code, out, err = run(capsys, "check", str(made.patch_dir), "--tree", tree, "--json", *extra)
    assert err == ""
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    return code, document["findings"]


def write_baseline(path: Path, waived: dict[str, str]) -> Path:
    entries = "".join(
        f'[[waiver]]\nfingerprint = "{fp}"\nreason = "{reason}"\n\n'
        for fp, reason in waived.items()
    )
    path.write_text(entries)
    return path


def by_severity(findings: list[dict[str, object]]) -> dict[object, str]:
    return {f["severity"]: str(f["fingerprint"]) for f in findings}


# The contract (README, "One contract for every command"): exit 1 when a finding that is
# not muted is at or above --fail-on, else 0. Written out for the series' three findings,
# per set of muted severities, in the order error, warning, info, never.
CONTRACT = {
    (): (1, 1, 1, 0),
    ("error",): (0, 1, 1, 0),
    ("error", "warning"): (0, 0, 1, 0),
    ("error", "warning", "info"): (0, 0, 0, 0),
    ("warning",): (1, 1, 1, 0),
    ("info",): (1, 1, 1, 0),
    ("warning", "info"): (1, 1, 1, 0),
}


def test_one_finding_of_each_severity(
    capsys: pytest.CaptureFixture[str], three: tuple[Made, str]
) -> None:
    made, tree = three
    _, findings = check_json(capsys, made, tree)
    assert [(f["severity"], f["rule"]) for f in findings] == [
        ("error", "undeclared-global"),
        ("warning", "cross-area-state"),
        ("info", "hunk-offset"),
    ]


@pytest.mark.parametrize("muted", list(CONTRACT))
def test_exit_code_for_each_fail_on(
    capsys: pytest.CaptureFixture[str],
    three: tuple[Made, str],
    tmp_path: Path,
    muted: tuple[str, ...],
) -> None:
    made, tree = three
    fingerprints = by_severity(check_json(capsys, made, tree)[1])
    baseline = write_baseline(
        tmp_path / "waivers.toml", {fingerprints[s]: f"judged the {s}" for s in muted}
    )
    codes = []
    for level in LEVELS:
        code, findings = check_json(
            capsys, made, tree, "--baseline", str(baseline), "--fail-on", level
        )
        codes.append(code)
    assert tuple(codes) == CONTRACT[muted]
    shown = {f["severity"]: (f.get("muted"), f.get("reason")) for f in findings}
    assert shown == {
        s: ((True, f"judged the {s}") if s in muted else (None, None))
        for s in ("error", "warning", "info")
    }


def test_stale_waiver_is_reported(
    capsys: pytest.CaptureFixture[str], three: tuple[Made, str], tmp_path: Path
) -> None:
    made, tree = three
    baseline = write_baseline(tmp_path / "b.toml", {"0123456789abcdef": "fixed long ago"})
    code, findings = check_json(capsys, made, tree, "--baseline", str(baseline))
    stale = [f for f in findings if f["rule"] == "stale-waiver"]
    assert len(stale) == 1 and stale[0]["severity"] == "warning"
    assert "0123456789abcdef" in str(stale[0]["message"])
    assert stale[0]["evidence"] == ["reason: fixed long ago"]
    assert code == 1  # the error is not muted


def test_changed_finding_escapes_its_waiver(
    capsys: pytest.CaptureFixture[str], three: tuple[Made, str], tmp_path: Path
) -> None:
    """Perturbed: the same series with the global renamed gives new fingerprints, so the
    old waivers mute nothing and are reported stale."""
    made, tree = three
    fingerprints = by_severity(check_json(capsys, made, tree)[1])
    baseline = write_baseline(
        tmp_path / "b.toml", {fingerprints["error"]: "ok", fingerprints["warning"]: "ok"}
    )
    other, other_tree = _three_severities(tmp_path / "other", knob="hp_switch")
    code, findings = check_json(capsys, other, other_tree, "--baseline", str(baseline))
    assert code == 1
    assert not any(f.get("muted") for f in findings)
    assert sorted(f["rule"] for f in findings if f["rule"] == "stale-waiver") == [
        "stale-waiver",
        "stale-waiver",
    ]


def test_baseline_found_at_the_git_top(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --baseline: the file at the top of a git: source's repository, or of the
    current directory's repository for any other source."""
    made, _ = _three_severities(tmp_path)
    source = f"git:{made.repo}@{made.base}..main"
    fingerprints = by_severity(json.loads(run(capsys, "check", source, "--json")[1])["findings"])
    write_baseline(made.repo / ".patchscope-baseline.toml", {fingerprints["error"]: "known"})
    code, out, _ = run(capsys, "check", source, "--json")
    assert code == 0
    assert [f.get("reason") for f in json.loads(out)["findings"]] == ["known", None]
    monkeypatch.chdir(made.repo / "mm")
    assert run(capsys, "check", str(made.patch_dir), "--json")[0] == 0
    monkeypatch.chdir(tmp_path)  # outside any repository: no baseline
    assert run(capsys, "check", str(made.patch_dir), "--json")[0] == 1


def test_table_marks_muted_and_shows_fingerprints(
    capsys: pytest.CaptureFixture[str], three: tuple[Made, str], tmp_path: Path
) -> None:
    made, tree = three
    fingerprints = by_severity(check_json(capsys, made, tree)[1])
    baseline = write_baseline(tmp_path / "b.toml", {fingerprints["error"]: "header follows"})
    code, out, _ = run(
        capsys, "check", str(made.patch_dir), "--tree", tree, "--baseline", str(baseline)
    )
    assert code == 0
    assert "error (muted)" in out and "muted: header follows" in out
    assert all(f"fingerprint: {fp}" in out for fp in fingerprints.values())


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[[waiver]\n", "not valid TOML"),
        ('[[waiver]]\nfingerprint = "0123456789abcdef"\n', "has no reason"),
        ('[[waiver]]\nfingerprint = "xyz"\nreason = "r"\n', "16 lower-case hex digits"),
        ('[[waiver]]\nfingerprint = "0123456789abcdef"\nreason = "r"\nwhy = 1\n', "'why'"),
    ],
)
def test_bad_baseline_is_one_line(
    capsys: pytest.CaptureFixture[str],
    three: tuple[Made, str],
    tmp_path: Path,
    text: str,
    complaint: str,
) -> None:
    made, _ = three
    baseline = tmp_path / "bad.toml"
    baseline.write_text(text)
    code, out, err = run(capsys, "check", str(made.patch_dir), "--baseline", str(baseline))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and str(baseline) in err and complaint in err
    assert baseline.read_text() == text


def test_quiet_prints_nothing_but_errors(
    capsys: pytest.CaptureFixture[str], three: tuple[Made, str], tmp_path: Path
) -> None:
    made, _ = three
    assert run(capsys, "--quiet", "check", str(made.patch_dir)) == (1, "", "")
    assert run(capsys, "check", str(made.patch_dir), "-q", "--fail-on", "never") == (0, "", "")
    missing = tmp_path / "none.mbox"
    code, out, err = run(capsys, "check", str(missing), "--quiet")
    assert (code, out) == (2, "")
    assert err == f"patchscope: no such file or directory: {missing}\n"


def test_plain_lines_for_a_pipe_rich_table_for_a_terminal(
    capsys: pytest.CaptureFixture[str], three: tuple[Made, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    made, tree = three
    code, plain, _ = run(capsys, "check", str(made.patch_dir), "--tree", tree)
    lines = plain.splitlines()
    assert code == 1 and lines[0] == "3 findings"
    assert lines[1].startswith("error undeclared-global patch 1 drivers/hp/probe.c:3 [hp_knob]: ")
    assert [line.split()[0] for line in lines if not line.startswith(" ")][1:] == [
        "error",
        "warning",
        "info",
    ]
    assert not any(char in plain for char in "┃│━\x1b")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    code, table, _ = run(capsys, "check", str(made.patch_dir), "--tree", tree)
    assert code == 1 and "┃" in table and "3 findings" in table and "\x1b[" in table


def test_spinner_only_for_a_terminal(
    capsys: pytest.CaptureFixture[str], three: tuple[Made, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a base tree shows a spinner on a terminal's stderr; with --quiet, or when
    stderr is no terminal, stderr stays empty."""
    made, tree = three
    assert run(capsys, "check", str(made.patch_dir), "--tree", tree)[2] == ""
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert run(capsys, "--quiet", "check", str(made.patch_dir), "--tree", tree) == (1, "", "")
    err = run(capsys, "check", str(made.patch_dir), "--tree", tree)[2]
    assert f"reading the base tree {tree}" in err
