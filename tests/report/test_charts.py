"""The report's step charts: the lifecycle flow, stage against stage, drawn as inline SVG."""

from __future__ import annotations

import mailbox
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from patchscope.model.memory_hotplug.flows import FlowParams
from patchscope.model.memory_hotplug.stages import Stage, model_name, series_model
from patchscope.pipeline import load_series
from patchscope.report.modelpart import StepChart, flow_charts
from patchscope.report.pictures import step_chart
from patchscope.report.write import Request, write_report
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, make_git_series

SVG = "{http://www.w3.org/2000/svg}"
# x86_64 kernel facts (design notes): 4 KiB pages, 64-byte struct page, 128 MiB sections
# and memory blocks.
PAGE, STRUCT_PAGE, SECTION = 4096, 64, 128 << 20
SECTION_PAGES = SECTION // PAGE
MEMMAP_PER_SECTION = SECTION_PAGES * STRUCT_PAGE // PAGE  # 512
GIB = 1 << 30


def _patch_subjects() -> dict[int, str]:
    """The thread's patch mails (replies left out) by number, read with the stdlib."""
    numbered = re.compile(r"\[[^\]]*\b([1-9]\d*)/\d+\]")
    subjects = (" ".join(str(m["subject"]).split()) for m in mailbox.mbox(REFERENCE_MBOX))
    return {
        int(found[1]): subject
        for subject in subjects
        if (found := numbered.search(subject)) and not subject.lower().startswith("re:")
    }


def _moving_patch() -> int:
    """The patch whose subject says it allocates the memmap from the added range."""
    (number,) = [n for n, s in _patch_subjects().items() if "allocate memmap from the added" in s]
    return number


def _expected(stage: int, size: int) -> dict[str, list[int]]:
    """Each chart's values after every lifecycle step, from the kernel facts: all blocks
    onlined then offlined first to last; from the moving patch on, the whole range's memmap
    sits in its first block, which the buddy never gets."""
    blocks = size // SECTION
    pages = size // PAGE
    memmap = blocks * MEMMAP_PER_SECTION
    moved = stage >= _moving_patch()
    online = [i * SECTION_PAGES for i in range(1, blocks + 1)]
    offline = [(blocks - i) * SECTION_PAGES for i in range(1, blocks + 1)]
    kept = memmap if moved else 0
    return {
        "spanned": [0, *online, *[pages] * blocks, 0],
        "present": [0, *online, *offline, 0],
        "managed": [0, *(n - kept for n in online), *offline, 0],
        "from the node": [0 if moved else memmap] * (2 * blocks + 1) + [0],
        "inside the range": [memmap if moved else 0] * (2 * blocks + 1) + [0],
    }


def _key(title: str) -> str:
    return next(k for k in ("spanned", "present", "managed", "node", "range") if k in title)


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    source = str(REFERENCE_MANIFEST)
    module = model_name(source)
    assert module is not None
    return series_model(load_series(source), module)


@pytest.fixture(scope="module")
def page(reference_written: tuple[Path, int, str]) -> str:
    return (reference_written[0] / "index.html").read_text(encoding="utf-8")


def _charts(html: str) -> list[ET.Element]:
    found = re.findall(r'<svg [^>]*class="step-chart".*?</svg>', html, re.DOTALL)
    return [ET.fromstring(svg) for svg in found]


def _plotted(svg: ET.Element) -> dict[int, dict[str, float]]:
    """stage -> step -> y of its point, steps read off the columns under the points."""
    columns = [
        (float(r.get("x", "")), float(r.get("width", "")), r.findtext(f"{SVG}title", ""))
        for r in svg.iter(f"{SVG}rect")
        if r.get("class") == "step"
    ]
    out: dict[int, dict[str, float]] = {}
    for line in svg.iter(f"{SVG}polyline"):
        points = {}
        for pair in line.get("points", "").split():
            x, y = map(float, pair.split(","))
            (step,) = [t.split(":")[0] for left, w, t in columns if left <= x < left + w]
            points[step] = y
        out[int(line.get("data-stage", ""))] = points
    return out


def _axis(svg: ET.Element) -> tuple[float, float]:
    """(y of 0, pixels per page) from the axis' tick labels (4 px under their grid line)."""
    ticks = [
        (int(t.text or ""), float(t.get("y", "")) - 4)
        for t in svg.iter(f"{SVG}text")
        if t.get("class") == "tick"
    ]
    (zero, y0), (top, y1) = min(ticks), max(ticks)
    assert zero == 0
    return y0, (y1 - y0) / top


def test_reference_report_has_one_chart_per_counter_and_a_line_per_stage(page: str) -> None:
    patches = len(_patch_subjects())
    charts = _charts(page)
    assert sorted(_key(c.findtext(f"{SVG}title", "")) for c in charts) == sorted(
        ["spanned", "present", "managed", "node", "range"]
    )
    for chart in charts:
        stages = [int(p.get("data-stage", "")) for p in chart.iter(f"{SVG}polyline")]
        assert stages == list(range(patches + 1))


def test_plotted_values_are_the_lifecycle_from_the_kernel_facts(page: str) -> None:
    for svg in _charts(page):
        key = _key(svg.findtext(f"{SVG}title", ""))
        zero, per_page = _axis(svg)
        for stage, points in _plotted(svg).items():
            expected = next(v for k, v in _expected(stage, 2 * GIB).items() if key in k)
            assert len(points) == len(expected) == 34
            ys = [zero + value * per_page for value in expected]
            assert list(points.values()) == pytest.approx(ys, abs=0.06), (key, stage)


def test_column_titles_give_every_stage_exact_value(page: str) -> None:
    (managed,) = [c for c in _charts(page) if "managed" in c.findtext(f"{SVG}title", "")]
    titles = [r.findtext(f"{SVG}title", "") for r in managed.iter(f"{SVG}rect")]
    first_online = next(t for t in titles if t.startswith("online "))
    last = max(_patch_subjects())  # the series' last stage
    assert f"stage {last} {SECTION_PAGES - 16 * MEMMAP_PER_SECTION}" in first_online
    assert f"stage 0 {SECTION_PAGES}," in first_online
    all_online = [t for t in titles if t.startswith("online ")][-1]
    assert all_online.endswith(f"stage {last} {2 * GIB // PAGE - 16 * MEMMAP_PER_SECTION}")


def test_the_moving_patch_is_named_under_the_managed_chart(page: str) -> None:
    (managed,) = [c for c in _charts(page) if "managed" in c.findtext(f"{SVG}title", "")]
    notes = [t.text or "" for t in managed.iter(f"{SVG}text") if t.get("class") == "note"]
    moving = _moving_patch()
    assert notes == [
        f"stage {moving} differs from stage {moving - 1} at 16 of 34 steps, "
        f"first after online memory32: {SECTION_PAGES} -> {SECTION_PAGES - 8192}"
    ]


def test_another_size_moves_the_picture(stages: list[Stage]) -> None:
    """Perturbed: 1 GiB at 8 GiB, 8 blocks; its memmap is 8 sections' worth."""
    charts = flow_charts(stages, FlowParams(size=GIB, start=8 * GIB))
    for chart in charts:
        key = _key(chart.title)
        assert "lifecycle x86_64, 1 GiB at 8 GiB" in chart.title
        assert len(chart.steps) == 18
        for stage, values in chart.lines:
            expected = next(v for k, v in _expected(stage, GIB).items() if key in k)
            assert list(values) == expected, (key, stage)
    (managed,) = [c for c in charts if "managed" in c.title]
    assert managed.lines[-1][1][8] == GIB // PAGE - 8 * MEMMAP_PER_SECTION


def test_same_model_twice_draws_the_same_bytes(stages: list[Stage]) -> None:
    again = series_model(load_series(str(REFERENCE_MANIFEST)), "memmap_hotadd_rfc_v2")
    first = [str(step_chart(c)) for c in flow_charts(stages)]
    assert first == [str(step_chart(c)) for c in flow_charts(again)]
    assert len(set(first)) == 5


def test_text_in_a_chart_is_escaped() -> None:
    chart = StepChart(
        '<script>alert(1)</script> "><img onerror=x>',
        ("hot-add", "online <b>memory1</b>"),
        ((0, (1, 2)), (1, (1, 3))),
    )
    drawn = str(step_chart(chart))
    assert "<script" not in drawn and "<img" not in drawn and "<b>" not in drawn
    root = ET.fromstring(drawn)
    assert root.findtext(f"{SVG}title") == chart.title
    assert {e.tag.removeprefix(SVG) for e in root.iter()} <= {
        "svg",
        "title",
        "text",
        "line",
        "polyline",
        "rect",
    }


def test_a_step_a_stage_never_reached_is_left_out() -> None:
    chart = StepChart("c", ("hot-add", "-EEXIST: busy"), ((0, (5, None)), (1, (5, 7))))
    lines = {p.get("data-stage"): p.get("points", "") for p in _svg(chart).iter(f"{SVG}polyline")}
    assert len(lines["0"].split()) == 1 and len(lines["1"].split()) == 2


def _svg(chart: StepChart) -> ET.Element:
    return ET.fromstring(str(step_chart(chart)))


def test_a_series_with_no_model_has_no_chart(tmp_path: Path) -> None:
    made = make_git_series(tmp_path)
    out = tmp_path / "report"
    write_report(Request(str(made.mbox), out, offline=True))
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "series" in html and 'id="patches"' in html  # the page itself was written
    assert "step-chart" not in html and "charts-heading" not in html
