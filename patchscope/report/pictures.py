"""The report's pictures: diffstat bars, step charts, and Graphviz's SVG made safe to inline.

Graphviz draws labels that come from mails (function names, file names, subjects). It
escapes them itself, but the SVG it writes is parsed again here and rebuilt from an
allowlist of elements and attributes, so that nothing a label could smuggle in (a
script, an event attribute, a link) reaches the page. No library sanitises SVG for us
without pulling in a browser engine, hence the short walk below.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup

from patchscope.graph.areas import UNKNOWN
from patchscope.graph.export import to_svg
from patchscope.graph.query import touched
from patchscope.graph.render import GraphvizError
from patchscope.report.modelpart import StepChart

if TYPE_CHECKING:
    import networkx as nx

_SVG_NS = "http://www.w3.org/2000/svg"
# What Graphviz's SVG output uses for nodes, edges, clusters and labels; nothing else stays.
_ELEMENTS = frozenset(
    {"svg", "g", "title", "text", "tspan", "polygon", "polyline", "ellipse", "path"}
)
_ATTRIBUTES = frozenset(
    {
        "width",
        "height",
        "viewBox",
        "transform",
        "class",
        "fill",
        "stroke",
        "stroke-width",
        "stroke-dasharray",
        "points",
        "cx",
        "cy",
        "rx",
        "ry",
        "d",
        "x",
        "y",
        "text-anchor",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
    }
)
_SIZE = re.compile(r"([0-9.]+)([a-z]*)")
BAR_WIDTH = 160  # pixels for the largest count of the series


def focus(graph: nx.MultiDiGraph, patch: int) -> nx.MultiDiGraph:
    """One patch's neighbourhood: the patch, the entities it modifies, and what lies one
    edge away from them (callers, callees, the files defining them). Other patches are
    left out, and so are names the series uses but never defines (area "unknown": no
    file, so no area to cluster them in; graph.svg keeps them). to_dot clusters the rest
    by area, so a patch reaching from arch/ into mm/ shows so."""
    entities = touched(graph, patch)
    around = {n for e in entities for n in (*graph.predecessors(e), *graph.successors(e))}
    kept = {n for n in around if graph.nodes[n].get("area") not in ("", UNKNOWN)}
    return graph.subgraph({f"patch:{patch}", *entities, *kept}).copy()


def patch_picture(
    graph: nx.MultiDiGraph, patch: int, classes: Mapping[str, str], scale: float
) -> Markup | str:
    """The patch's focus drawn by `dot`; when it cannot be drawn, why, so that the page
    still stands without it."""
    near = focus(graph, patch)
    if near.number_of_nodes() < 2:
        return "The patch modifies no entity the graph knows."
    try:
        return clean_svg(to_svg(near), classes, scale)
    except (GraphvizError, ValueError) as exc:
        return f"Not drawn: {exc}"


def clean_svg(data: bytes, classes: Mapping[str, str], scale: float = 1.0) -> Markup:
    """Graphviz's SVG rebuilt from the allowlists; a node whose title (its graph id) is in
    `classes` gets those CSS classes too, so the page can highlight one patch's entities.
    `scale` shrinks the drawn size (the viewBox keeps the drawing whole).

    The result is Markup: every text and attribute value was escaped by ElementTree while
    serialising, so the template may place it as it is.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"graphviz wrote SVG that does not parse: {exc}") from None
    if _local(root.tag) != "svg":
        raise ValueError("graphviz's output is not an SVG document")
    _clean(root)
    for group in root.iter("g"):
        title = group.find("title")
        extra = classes.get(title.text or "") if title is not None else None
        if extra and "node" in group.get("class", "").split():
            group.set("class", f"node {extra}")
    for name in ("width", "height"):
        size = _SIZE.fullmatch(root.get(name, ""))
        if size:
            root.set(name, f"{float(size[1]) * scale:.0f}{size[2]}")
    root.set("xmlns", _SVG_NS)
    return Markup(ET.tostring(root, encoding="unicode"))


def _local(tag: str) -> str:
    """An SVG element's own name; a foreign namespace's element gets "" (never allowed)."""
    namespace, _, name = tag.rpartition("}")
    return name if namespace in ("", "{" + _SVG_NS) else ""


def _clean(element: ET.Element) -> None:
    element.tag = _local(element.tag)
    for name in list(element.attrib):
        if name not in _ATTRIBUTES:
            del element.attrib[name]
    for child in list(element):
        if _local(child.tag) in _ELEMENTS:
            _clean(child)
        else:
            element.remove(child)


@dataclass(frozen=True)
class Bar:
    """One diffstat as two lengths in pixels: insertions, then deletions."""

    insertions: int
    deletions: int
    plus: int
    minus: int


def bar(insertions: int, deletions: int, largest: int) -> Bar:
    """Lengths scaled so that `largest` changed lines fill BAR_WIDTH; a change is never
    drawn thinner than one pixel, so a one-line patch stays visible beside a large one."""
    scale = BAR_WIDTH / max(largest, 1)

    def length(count: int) -> int:
        return max(1, round(count * scale)) if count else 0

    return Bar(insertions, deletions, length(insertions), length(deletions))


# --- step charts ------------------------------------------------------------------------
# A line chart is a few dozen SVG elements; drawing it here keeps the page free of scripts
# (its CSP forbids them) and of a plotting library's nondeterministic output.

_STEP = 16  # pixels between two steps
_PLOT_HEIGHT = 150
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 36, 44, 34
# One colour per stage, cycled; a later stage is drawn thinner on top of an earlier one, so
# stages that coincide show as nested stripes rather than hiding one another.
_STAGE_COLOURS = ("#9e9e9e", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b")
_NOTE = 15  # pixels per line of the notes under the chart
_PHASE = re.compile(r" memory\d+$")


def step_chart(chart: StepChart) -> Markup:
    """The chart as inline SVG: x the flow's steps, grouped by phase, y pages, one line per
    stage; hovering a step's column lists every stage's value there. Text is escaped by
    ElementTree while serialising."""
    width = _LEFT + _STEP * max(len(chart.steps), 1) + _RIGHT
    notes = _changes(chart)
    height = _TOP + _PLOT_HEIGHT + _BOTTOM + _NOTE * len(notes)
    root = ET.Element(
        "svg",
        {
            "xmlns": _SVG_NS,
            "class": "step-chart",
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "role": "img",
        },
    )
    ET.SubElement(root, "title").text = chart.title
    _text(root, _LEFT, 14, chart.title, {"font-weight": "bold"})
    tick, top = _ticks(max((v for _, vs in chart.lines for v in vs if v is not None), default=0))
    _y_axis(root, tick, top)
    _x_axis(root, chart.steps)
    _legend(root, [stage for stage, _ in chart.lines])
    count = len(chart.lines)
    for index, (stage, values) in enumerate(chart.lines):
        _line(root, stage, index, count, values, top)
    for i, step in enumerate(chart.steps):
        _column(root, i, step, chart.lines)
    for i, note in enumerate(notes):
        _text(root, _LEFT, _TOP + _PLOT_HEIGHT + _BOTTOM + _NOTE * i + 4, note, {"class": "note"})
    return Markup(ET.tostring(root, encoding="unicode"))


def _changes(chart: StepChart) -> list[str]:
    """A line for each stage whose line leaves the previous stage's: the first step where it
    does, with both values, since a change of a few pages hardly shows at the chart's scale."""
    notes = []
    for (was, old), (stage, new) in zip(chart.lines, chart.lines[1:], strict=False):
        differ = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        if differ:
            i = differ[0]
            notes.append(
                f"stage {stage} differs from stage {was} at {len(differ)} of {len(new)} steps, "
                f"first after {chart.steps[i]}: {old[i]} -> {new[i]}"
            )
    return notes


def _x(step: int) -> float:
    return _LEFT + _STEP * (step + 0.5)


def _y(value: int, top: int) -> float:
    return _TOP + _PLOT_HEIGHT * (1 - value / top)


def _ticks(largest: int) -> tuple[int, int]:
    """(tick step, axis top): the step the first 1, 2 or 5 times a power of ten that needs
    at most five ticks above zero to reach `largest`."""
    unit = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * unit
            if 5 * step >= largest:
                return step, max(1, -(-largest // step)) * step
        unit *= 10


def _text(parent: ET.Element, x: float, y: float, text: str, extra: dict[str, str]) -> None:
    attrs = {"x": f"{x:.1f}", "y": f"{y:.1f}", "font-size": "11", **extra}
    ET.SubElement(parent, "text", attrs).text = text


def _y_axis(root: ET.Element, step: int, top: int) -> None:
    """Ticks every `step` pages from 0 to `top`, with grid lines across the plot."""
    right = int(root.get("width", "0")) - _RIGHT
    for value in range(0, top + 1, step):
        y = _y(value, top)
        ET.SubElement(
            root,
            "line",
            {
                "class": "tick",
                "x1": str(_LEFT),
                "x2": str(right),
                "y1": f"{y:.1f}",
                "y2": f"{y:.1f}",
                "stroke": "#ddd",
            },
        )
        _text(root, _LEFT - 4, y + 4, str(value), {"text-anchor": "end", "class": "tick"})


def _x_axis(root: ET.Element, steps: tuple[str, ...]) -> None:
    """One label per phase (the steps of one phase run block by block), under its steps."""
    phases: list[tuple[str, int, int]] = []  # (phase, first step, last step)
    for i, step in enumerate(steps):
        phase = _PHASE.sub("", step)
        if phases and phases[-1][0] == phase:
            phases[-1] = (phase, phases[-1][1], i)
        else:
            phases.append((phase, i, i))
    base = _TOP + _PLOT_HEIGHT
    for phase, first, last in phases:
        x1, x2 = _LEFT + _STEP * first + 1, _LEFT + _STEP * (last + 1) - 1
        ET.SubElement(
            root,
            "line",
            {
                "x1": str(x1),
                "x2": str(x2),
                "y1": str(base + 4),
                "y2": str(base + 4),
                "stroke": "#666",
            },
        )
        _text(root, (x1 + x2) / 2, base + 18, phase, {"text-anchor": "middle"})


def _legend(root: ET.Element, stages: list[int]) -> None:
    for index, stage in enumerate(stages):
        x = _LEFT + 64 * index
        colour = _STAGE_COLOURS[index % len(_STAGE_COLOURS)]
        ET.SubElement(
            root,
            "line",
            {"x1": str(x), "x2": str(x + 14), "y1": "30", "y2": "30", "stroke": colour}
            | {"stroke-width": "4"},
        )
        _text(root, x + 18, 34, f"stage {stage}", {})


def _line(
    root: ET.Element, stage: int, index: int, count: int, values: tuple[int | None, ...], top: int
) -> None:
    points = " ".join(
        f"{_x(i):.1f},{_y(v, top):.1f}" for i, v in enumerate(values) if v is not None
    )
    width = 1.5 + 1.5 * (count - 1 - index)
    line = ET.SubElement(
        root,
        "polyline",
        {
            "class": "stage",
            "data-stage": str(stage),
            "points": points,
            "fill": "none",
            "stroke": _STAGE_COLOURS[index % len(_STAGE_COLOURS)],
            "stroke-width": f"{width:.1f}",
            "stroke-linejoin": "round",
        },
    )
    ET.SubElement(line, "title").text = f"stage {stage}"


def _column(
    root: ET.Element, i: int, step: str, lines: tuple[tuple[int, tuple[int | None, ...]], ...]
) -> None:
    """An invisible column over one step whose tooltip gives every stage's value there."""
    values = ", ".join(f"stage {stage} {vs[i]}" for stage, vs in lines if vs[i] is not None)
    column = ET.SubElement(
        root,
        "rect",
        {
            "class": "step",
            "x": str(_LEFT + _STEP * i),
            "y": str(_TOP),
            "width": str(_STEP),
            "height": str(_PLOT_HEIGHT),
            "fill": "#000",
            "fill-opacity": "0",
        },
    )
    ET.SubElement(column, "title").text = f"{step}: {values}"
