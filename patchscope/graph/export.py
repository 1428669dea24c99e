"""The graph as JSON node-link data, GraphML, Graphviz DOT and SVG, byte-identical run to run."""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING

from patchscope.graph.render import render_svg

if TYPE_CHECKING:
    import networkx as nx

FORMATS = ("json", "graphml", "dot", "svg")

# Fixed colours for the core areas; each architecture gets one of _ARCH_COLOURS by a
# checksum of its name, so a colour never depends on which other areas a graph holds.
_AREA_COLOURS = {
    "mm": "#8dd3c7",
    "include": "#ffffb3",
    "drivers": "#fb8072",
    "kernel": "#80b1d3",
    "other": "#d9d9d9",
    "unknown": "#ffffff",
    "": "#fdb462",  # patches
}
_ARCH_COLOURS = ("#bebada", "#b3de69", "#fccde5", "#bc80bd", "#ccebc5", "#ffed6f", "#e5c494")
_EDGE_STYLE = {
    "calls": "",
    "defines": 'style=dotted, color="#808080"',
    "declares": 'style=dotted, color="#4060a0"',
    "uses": 'style=dashed, color="#606060"',
    "modifies": 'color="#c03030"',
    "renamed_to": 'color="#c07000", penwidth=2',
    "depends_on": 'color="#3050c0", penwidth=2',
}


def render(graph: nx.MultiDiGraph, fmt: str) -> bytes:
    """The graph in one of FORMATS, as the bytes a file or standard output receives."""
    if fmt == "svg":
        return to_svg(graph)
    text = {"json": to_json, "graphml": to_graphml, "dot": to_dot}[fmt](graph)
    return text.encode("utf-8")


def to_json(graph: nx.MultiDiGraph) -> str:
    import networkx as nx

    data = nx.node_link_data(graph, edges="edges")
    return json.dumps(data, sort_keys=True, indent=1) + "\n"


def to_graphml(graph: nx.MultiDiGraph) -> str:
    import networkx as nx

    return "\n".join(nx.generate_graphml(graph)) + "\n"


def area_colour(area: str) -> str:
    if area.startswith("arch/"):
        return _ARCH_COLOURS[zlib.crc32(area.encode()) % len(_ARCH_COLOURS)]
    return _AREA_COLOURS.get(area, _AREA_COLOURS["other"])


def _quote(text: object) -> str:
    """A DOT double-quoted string (written by hand: we keep pydot/pygraphviz out of the deps).

    DOT has no escape for NUL, which would end the string for Graphviz: it becomes U+FFFD.
    """
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    escaped = escaped.replace("\0", "\ufffd")
    return f'"{escaped}"'


def _node_line(nid: str, attrs: dict[str, object]) -> str:
    kind = str(attrs.get("kind", ""))
    if kind == "patch":
        label = f"{attrs.get('name', '')} {attrs.get('subject', '')}"
        shape = "box"
    else:
        label = f"{attrs.get('name', '')}\n{kind}" if kind != "file" else str(attrs["name"])
        shape = {"file": "note", "prototype": "hexagon"}.get(kind, "ellipse")
    colour = area_colour(str(attrs.get("area", "")))
    style = f'shape={shape}, style=filled, fillcolor="{colour}"'
    return f"{_quote(nid)} [label={_quote(label)}, {style}];"


def _edge_line(u: str, v: str, attrs: dict[str, object]) -> str:
    kind = str(attrs.get("kind", ""))
    style = [_EDGE_STYLE.get(kind, "")]
    label = {
        "calls": attrs.get("via") if attrs.get("via") != "direct" else None,
        "modifies": attrs.get("change"),
    }.get(kind)
    if kind == "calls" and label:
        style.append("style=dashed")
    if label:
        style.append(f"label={_quote(label)}")
    joined = ", ".join(s for s in style if s)
    return f"{_quote(u)} -> {_quote(v)}" + (f" [{joined}];" if joined else ";")


def to_dot(graph: nx.MultiDiGraph) -> str:
    """Nodes clustered and coloured by area, patches as boxes outside the clusters.

    Written by hand (DOT is a small text format) so that neither pygraphviz nor pydot
    becomes a dependency; Graphviz itself is needed only for SVG.
    `overlap=scale` is read by the force-directed layouts only (the page's picture).
    """
    clusters: dict[str, list[str]] = {}
    for nid, attrs in graph.nodes(data=True):
        clusters.setdefault(str(attrs.get("area", "")), []).append(_node_line(nid, attrs))
    out = [
        "digraph patchscope {",
        "  rankdir=LR;",
        "  overlap=scale;",
        '  node [fontname="Helvetica"];',
    ]
    for number, area in enumerate(sorted(clusters)):
        if not area:  # patch nodes stand outside every cluster
            out += [f"  {line}" for line in clusters[area]]
            continue
        out.append(f"  subgraph cluster_{number} {{")
        out.append(f"    label={_quote(area)};")
        out += [f"    {line}" for line in clusters[area]]
        out.append("  }")
    out += [f"  {_edge_line(u, v, attrs)}" for u, v, attrs in graph.edges(data=True)]
    out.append("}")
    return "\n".join(out) + "\n"


def to_svg(graph: nx.MultiDiGraph) -> bytes:
    """Graphviz's layered drawing of to_dot(graph), clusters by area (patchscope.graph.render)."""
    return render_svg(to_dot(graph)).encode("utf-8")
