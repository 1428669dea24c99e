"""`patchscope report`: the default folder, refusals, --previous, bad input, the model part."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from patchscope.cli import main
from patchscope.diff.model import Diffstat
from patchscope.errors import PatchscopeError
from patchscope.model.verdicts import ClaimVerdict, Verdict
from patchscope.report.modelpart import ClaimRow, ModelPart, StageRow
from patchscope.report.write import FILES
from tests.conftest import GitSeries


def test_default_folder_is_reports_series_name(
    git_series: GitSeries,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["report", str(git_series.mbox), "--offline"]) == 0
    (folder,) = (work / "reports").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    assert capsys.readouterr().out.strip().endswith(f"{folder.name}/index.html")
    # the toy series' four commits, as git lists them
    assert len(pd.read_csv(folder / "patches.csv")) == 4


def test_quiet_prints_nothing(
    git_series: GitSeries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(git_series.mbox), "-o", str(tmp_path / "r"), "-q", "--offline"]) == 0
    assert capsys.readouterr() == ("", "")
    assert (tmp_path / "r" / "index.html").is_file()


def _unchanged(path: Path) -> bytes:
    return path.read_bytes()


@pytest.mark.parametrize("where", ["mbox", "patch_dir", "inside_patch_dir"])
def test_refuses_to_write_over_or_into_inputs(
    git_series: GitSeries, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    source = git_series.patch_dir if where != "mbox" else git_series.mbox
    target = {
        "mbox": git_series.mbox,
        "patch_dir": git_series.patch_dir,
        "inside_patch_dir": git_series.patch_dir / "report",
    }[where]
    before = {p: p.read_bytes() for p in (*git_series.patch_dir.iterdir(), git_series.mbox)}
    assert main(["report", str(source), "-o", str(target), "--offline"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(target) in err
    after = {p: p.read_bytes() for p in (*git_series.patch_dir.iterdir(), git_series.mbox)}
    assert after == before


def test_refuses_an_output_holding_the_input_file(
    git_series: GitSeries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source named like one of the report's files, in the output folder: never overwritten."""
    folder = tmp_path / "out"
    folder.mkdir()
    source = folder / "patches.csv"
    shutil.copy(git_series.mbox, source)
    assert main(["report", str(source), "-o", str(folder), "--offline"]) == 2
    assert "refusing" in capsys.readouterr().err
    assert source.read_bytes() == git_series.mbox.read_bytes()


def test_previous_adds_the_range_diff(
    git_series: GitSeries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """v1 held the first three patches; the fourth (the rename) is new in this version."""
    v1 = tmp_path / "v1"
    v1.mkdir()
    for mail in sorted(git_series.patch_dir.glob("000[1-3]-*.patch")):
        shutil.copy(mail, v1 / mail.name)
    out = tmp_path / "r"
    args = ["report", str(git_series.mbox), "--previous", str(v1), "-o", str(out), "--offline"]
    assert main(args) == 0
    page = (out / "index.html").read_text()
    section = page[page.index('<section id="rangediff">') :]
    rows = section[: section.index("</table>")].count("<tr>") - 1
    assert rows == 4
    assert "mm: rename counter to nr_added" in section
    assert section.count("<td>new") == 1
    # without --previous there is no such section
    assert main(["report", str(git_series.mbox), "-o", str(tmp_path / "r2"), "--offline"]) == 0
    assert 'id="rangediff"' not in (tmp_path / "r2" / "index.html").read_text()


def test_bad_source_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nothing.mbox"
    assert main(["report", str(missing), "-o", str(tmp_path / "r"), "--offline"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing.mbox" in err
    assert not (tmp_path / "r").exists()


def test_no_model_leaves_the_model_out(git_series: GitSeries, tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert main(["report", str(git_series.mbox), "-o", str(out), "--offline"]) == 0
    assert 'id="model"' not in (out / "index.html").read_text()
    for name in ("claims", "stages"):
        frame = pd.read_csv(out / f"{name}.csv")
        assert frame.empty and len(frame.columns) > 0


def test_a_model_part_is_shown_and_tabled(
    git_series: GitSeries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hand-made model result: its claims in the page and claims.csv, stages in stages.csv."""
    claim = ClaimRow("=16 sections", "cover", "hot-add", "size=2G", "sections", "16", "16", True)
    wrong = ClaimRow(
        "<b>8192</b> pages", "cover", "hot-add", "", "vmemmap_pages", "8192", "0", False
    )
    part = ModelPart(
        claims=(claim, wrong),
        stages=(StageRow(0, "hot-add", "sections", "16"), StageRow(1, "hot-add", "sections", "16")),
        behaviour={3: ("hot-add: memmap_from_range_pages 0 -> 8192",)},
        verdicts={4: _renamed_and_untested(4)},
    )
    monkeypatch.setattr("patchscope.report.write.model_part", lambda *args: part)
    out = tmp_path / "r"
    assert main(["report", str(git_series.mbox), "-o", str(out), "--offline"]) == 0
    page = (out / "index.html").read_text()
    model = page[page.index('<section id="model">') :]
    assert model.count("holds") == 1 and model.count("fails") == 1
    assert "&lt;b&gt;8192&lt;/b&gt; pages" in model
    assert "memmap_from_range_pages 0 -&gt; 8192" in page
    rows = page.split('<tr class="patch"')[1:]
    model_says = '<span class="by">model</span>&#34;rename&#34; not exercised</div>'
    static_says = '<span class="by">static</span>&#34;rename&#34; no finding</div>'
    assert model_says in rows[3] and static_says in rows[3]
    details = page[page.index('id="patch-4-more"') :]
    assert "not reached</strong> (1): mm/a.c:&lt;f&gt;" in details
    assert "not modelled</strong> (0): none" in details
    assert "Behaviour delta" in page
    claims = pd.read_csv(out / "claims.csv", keep_default_na=False)
    assert list(claims["quote"]) == ["'=16 sections", "<b>8192</b> pages"]
    assert list(claims["ok"]) == [True, False]
    assert len(pd.read_csv(out / "stages.csv")) == 2
    grid = page[page.index("<h3>hot-add</h3>") :]
    assert grid.count("<th>stage ") == 2 and 'class="num mono changed"' not in grid
    patches = pd.read_csv(out / "patches.csv", keep_default_na=False)
    assert list(patches["behaviour"]) == ["", "", "hot-add: memmap_from_range_pages 0 -> 8192", ""]


def _renamed_and_untested(number: int) -> Verdict:
    """A patch that says "rename" and changes a function (its name hostile) no replay ran."""
    claim = ClaimVerdict("rename", "rename f", "no finding", "not exercised", ("no scenario",))
    unreached = ("mm/a.c:<f>",)
    return Verdict(number, "t", Diffstat(1, 1, 0), (), (), (), unreached, (), (claim,))


def _claiming_one_line_more(git_series: GitSeries, where: Path) -> Path:
    """The toy series with 1/4's diffstat summary claiming one insertion more than it has."""
    text = git_series.mbox.read_text()
    summary = re.compile(r"^ \d+ files? changed, (\d+) insertions?\(\+\)", re.MULTILINE)
    first_patch = list(summary.finditer(text))[1]  # the cover letter's comes first
    start, end = first_patch.span(1)
    mbox = where / "perturbed.mbox"
    mbox.write_text(text[:start] + str(int(first_patch[1]) + 1) + text[end:])
    return mbox


def test_baseline_mutes_and_reports_stale_waivers(git_series: GitSeries, tmp_path: Path) -> None:
    mbox = _claiming_one_line_more(git_series, tmp_path)
    first = tmp_path / "first"
    assert main(["report", str(mbox), "-o", str(first), "--offline"]) == 0
    findings = pd.read_csv(first / "findings.csv", keep_default_na=False)
    mismatches = findings[findings["rule"] == "diffstat-mismatch"]
    assert set(mismatches["patch"]) == {1} and not findings["muted"].any()
    muted = mismatches["fingerprint"].iloc[0]
    baseline = tmp_path / "baseline.toml"
    baseline.write_text(
        f'[[waiver]]\nfingerprint = "{muted}"\nreason = "judged <ok>"\n\n'
        '[[waiver]]\nfingerprint = "0123456789abcdef"\nreason = "gone"\n'
    )
    second = tmp_path / "second"
    args = ["report", str(mbox), "-o", str(second), "--baseline", str(baseline), "--offline"]
    assert main(args) == 0
    judged = pd.read_csv(second / "findings.csv", keep_default_na=False)
    row = judged[judged["fingerprint"] == muted].iloc[0]
    assert (row["muted"], row["reason"]) == (True, "judged <ok>")
    assert judged["muted"].sum() == 1
    assert "0123456789abcdef" in " ".join(judged[judged["rule"] == "stale-waiver"]["message"])
    page = (second / "index.html").read_text()
    assert "Muted by the baseline: judged &lt;ok&gt;" in page
    assert "1 muted by the baseline" in page


def test_tree_dir_is_an_input(git_series: GitSeries, capsys: pytest.CaptureFixture[str]) -> None:
    """A report is never written into the user's checkout given as --tree."""
    target = git_series.repo / "reports"
    args = ["report", str(git_series.mbox), "--tree", str(git_series.repo), "-o", str(target)]
    assert main([*args, "--offline"]) == 2
    assert "refusing" in capsys.readouterr().err
    assert not target.exists()


def test_git_tree_report(git_series: GitSeries, tmp_path: Path) -> None:
    """With the base revision as tree, the series' own four patches are still the rows."""
    tree = f"git:{git_series.repo}@{git_series.base}"
    out = tmp_path / "r"
    args = ["report", str(git_series.mbox), "--tree", tree, "-o", str(out), "--offline"]
    assert main(args) == 0
    assert list(pd.read_csv(out / "patches.csv")["number"]) == [1, 2, 3, 4]
    graph = (out / "graph.dot").read_text()
    assert '"function:mm/hotplug.c:hotplug_add"' in graph


def test_a_model_that_fails_is_a_finding(
    git_series: GitSeries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(*args: object) -> None:
        raise PatchscopeError("stage 3: no line defines MHP_MEMMAP_FROM_RANGE")

    monkeypatch.setattr("patchscope.report.write.model_part", fails)
    out = tmp_path / "r"
    assert main(["report", str(git_series.mbox), "-o", str(out), "--offline"]) == 0
    findings = pd.read_csv(out / "findings.csv", keep_default_na=False)
    (row,) = findings[findings["rule"] == "model-failed"].itertuples()
    assert row.severity == "warning" and "MHP_MEMMAP_FROM_RANGE" in row.message
    assert 'id="model"' not in (out / "index.html").read_text()


def _static_says(page: str, number: int) -> str:
    row = page.split('<tr class="patch"')[number]
    return row.split('<td class="says">')[1].split("</td>")[0]


def test_without_a_model_the_static_check_judges_the_words_alone(
    git_series: GitSeries, tmp_path: Path
) -> None:
    """The toy's 4/4 says "rename" in its subject and only renames: no static finding, and
    no model verdict beside it; the same patch doubling the value it adds is contradicted,
    with claim-mismatch's severity."""
    subject = "mm: rename counter to nr_added"
    assert f"[PATCH 4/4] {subject}" in " ".join(git_series.mbox.read_text().split())
    out = tmp_path / "r"
    assert main(["report", str(git_series.mbox), "-o", str(out), "--offline"]) == 0
    says = _static_says((out / "index.html").read_text(), 4)
    assert '<span class="by">static</span>&#34;rename&#34; no finding</div>' in says
    assert "model" not in says
    text = git_series.mbox.read_text()
    doubled = tmp_path / "doubled.mbox"
    doubled.write_text(text.replace("+\tnr_added += n;", "+\tnr_added += 2 * n;"))
    out = tmp_path / "d"
    assert main(["report", str(doubled), "-o", str(out), "--offline"]) == 0
    findings = pd.read_csv(out / "findings.csv", keep_default_na=False)
    (row,) = findings[findings["rule"] == "claim-mismatch"].itertuples()
    says = _static_says((out / "index.html").read_text(), int(row.patch))
    severity = f'<span class="sev-{row.severity}">({row.severity})</span>'
    shown = f"&#34;rename&#34; contradicted {severity}"
    assert shown in says and 'class="bad"' in says
