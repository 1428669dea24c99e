"""`check` with the model's findings: in whenever a manifest in series/ names the series'
message-id with a model, whatever the SOURCE; out with --no-model; `explore` on its own."""

from __future__ import annotations

import json

import pytest

from patchscope.cli import main
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, GitSeries

# The rules the model's findings on the reference come under (issue 11's list).
MODEL_RULES = {"model-poisoned-read", "model-kernel-bug", "model-lost-memory-blocks"}


def run_json(capsys: pytest.CaptureFixture[str], command: str, *argv: str) -> tuple[int, list]:
    code = main([command, *argv, "--json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, json.loads(captured.out)["findings"]


@pytest.mark.usefixtures("shared_replays")
@pytest.mark.parametrize("source", [REFERENCE_MANIFEST, REFERENCE_MBOX], ids=["manifest", "mbox"])
def test_check_lists_the_models_findings_at_their_patch(
    capsys: pytest.CaptureFixture[str], source: object
) -> None:
    code, findings = run_json(capsys, "check", str(source), "--offline")
    model = [f for f in findings if f["rule"].startswith("model-")]
    assert {f["rule"] for f in model} >= MODEL_RULES
    assert code == 1  # errors among them
    # 3/4 brings the defects; 2/4's "no functional change" is contradicted; what v5.0
    # already does is info against no patch
    assert {f["patch"] for f in model if f["severity"] != "info"} == {2, 3}
    assert {f["rule"] for f in model if f["patch"] == 2} == {"model-claim-contradicted"}
    assert all(f["patch"] is None for f in model if f["severity"] == "info")
    assert all(f["evidence"] for f in model)


def test_no_model_leaves_them_out(capsys: pytest.CaptureFixture[str]) -> None:
    _, findings = run_json(capsys, "check", str(REFERENCE_MANIFEST), "--offline", "--no-model")
    assert findings
    assert not [f for f in findings if f["rule"].startswith("model-")]


def test_a_series_no_manifest_names_has_none(
    capsys: pytest.CaptureFixture[str], git_series: GitSeries
) -> None:
    _, findings = run_json(capsys, "check", str(git_series.mbox))
    assert not [f for f in findings if f["rule"].startswith("model-")]
    code = main(["explore", str(git_series.mbox)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no manifest" in err


def test_explore_searches_one_stage_and_arch(capsys: pytest.CaptureFixture[str]) -> None:
    argv = (str(REFERENCE_MANIFEST), "--offline", "--stage", "3", "--arch", "s390")
    code, findings = run_json(capsys, "explore", *argv, "--budget", "5", "--seed", "1")
    bug = [f for f in findings if f["rule"] == "model-kernel-bug" and f["patch"] == 3]
    assert bug and "mark_vmemmap_pages()" in bug[0]["message"]
    assert code == 1


@pytest.mark.parametrize(
    "flags",
    [("--arch", "ia64"), ("--stage", "9"), ("--budget", "0")],
    ids=["arch", "stage", "budget"],
)
def test_explore_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], flags: tuple[str, str]
) -> None:
    code = main(["explore", str(REFERENCE_MANIFEST), "--offline", *flags])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("patchscope: ")
