"""The report's pictures: diffstat bars, and Graphviz's SVG made safe to inline.

Graphviz draws labels that come from mails (function names, file names, subjects). It
escapes them itself, but the SVG it writes is parsed again here and rebuilt from an
allowlist of elements and attributes, so that nothing a label could smuggle in (a
script, an event attribute, a link) reaches the page. No library sanitises SVG for us
without pulling in a browser engine, hence the short walk below.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup

from patchscope.graph.export import GraphvizError

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


# The page's picture: a force-directed layout keeps a graph of a few hundred entities near
# square (the layered drawing of the reference series is 4000 x 11500 pt, mostly empty);
# prism removes overlaps deterministically.
_OVERVIEW = ("-Ksfdp", "-Goverlap=prism", "-Tsvg")


def overview(dot_text: str) -> bytes:
    """Graphviz's force-directed drawing of DOT text, for the page (graph.svg keeps `dot`'s)."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizError("graphviz's 'dot' is not installed; the report's picture needs it")
    done = subprocess.run(
        [dot, *_OVERVIEW], input=dot_text.encode("utf-8"), capture_output=True, check=False
    )
    if done.returncode != 0:
        error = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphvizError(f"dot -Ksfdp failed: {error[0] if error else done.returncode}")
    return done.stdout


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
