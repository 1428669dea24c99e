"""`report --kernel-result FILE`: a saved `kernel --json` shown as the "checked against
Linux" section, every string escaped, and a file of another shape refused in one line."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from patchscope.cli import main
from patchscope.kernel.compare import Comparison, Row
from patchscope.report.html import environment
from patchscope.report.kernelpart import KernelResultError, load_kernel_result
from tests.conftest import REFERENCE_MANIFEST

HOSTILE = "<script>alert(1)</script>"


def result(tmp_path: Path, **changes: object) -> Path:
    comparison = Comparison(
        flow="lifecycle",
        size=128 << 20,
        dimms=1,
        online_type="movable",
        append=f"memory_hotplug.memmap_on_memory=1 {HOSTILE}",
        stage=3,
        release="6.1.0-57-amd64",
        accel="tcg",
        start=1 << 32,
        block_size=128 << 20,
        rows=(
            Row("online", "zone_managed", 32256, 32256, True),
            Row("offline", "zone_spanned", 32768, 0, False, "zone-shrinks-at-offline"),
            Row("hot-remove", "memory_blocks", 1, 0, False),
            Row("hot-remove", "outcome", "ok", None, False),
        ),
        notes=(HOSTILE,),
        boot_seconds=8.0,
        seconds=9.5,
        boots=1,
    )
    document = {**comparison.to_json(), **changes}
    path = tmp_path / "kernel.json"
    path.write_text(json.dumps(document))
    return path


def rendered(path: Path) -> str:
    part = load_kernel_result(str(path))
    return environment().get_template("kernel.html.j2").render(c=SimpleNamespace(kernel=part))


def test_rows_show_agreement_by_design_and_disagreement(tmp_path: Path) -> None:
    page = rendered(result(tmp_path))
    assert 'id="kernel-rows"' in page
    assert page.count("<tr>") == 1 + 4
    assert "agrees" in page and "by design: zone-shrinks-at-offline" in page
    assert page.count(">disagrees<") == 2
    # the by-design entry the rows use, with its 6.1 line
    assert "remove_pfn_range_from_zone(zone, start_pfn, nr_pages);" in page
    assert "Some rows disagree" in page


def test_every_string_of_the_file_is_escaped(tmp_path: Path) -> None:
    page = rendered(result(tmp_path))
    assert HOSTILE not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    "text",
    ["not json", json.dumps({"flow": "lifecycle"}), json.dumps([1, 2])],
)
def test_a_file_of_another_shape_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "other.json"
    path.write_text(text)
    with pytest.raises(KernelResultError):
        load_kernel_result(str(path))


def test_a_row_of_another_shape_is_refused(tmp_path: Path) -> None:
    path = result(tmp_path, rows=[{"phase": "hot-add"}])
    with pytest.raises(KernelResultError, match="rows/0"):
        load_kernel_result(str(path))


def test_report_shows_the_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = result(tmp_path)
    out = tmp_path / "report"
    code = main(
        [
            "report",
            str(REFERENCE_MANIFEST),
            "--offline",
            "-o",
            str(out),
            "--kernel-result",
            str(path),
        ]
    )
    assert code == 0
    assert 'id="kernel-rows"' in (out / "index.html").read_text()


def test_report_refuses_a_bad_result_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{")
    code = main(
        [
            "report",
            str(REFERENCE_MANIFEST),
            "--offline",
            "-o",
            str(tmp_path / "r"),
            "--kernel-result",
            str(path),
        ]
    )
    assert code == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "r").exists()
