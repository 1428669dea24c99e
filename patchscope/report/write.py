"""`report`'s work: run the stages once, then write the page, the tables and the graph files."""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from patchscope.baseline import STALE_RULE, find_baseline, judge
from patchscope.commands.entities import entity_rows
from patchscope.commands.graph import OutputError, check_output
from patchscope.errors import PatchscopeError
from patchscope.findings import Finding, sort_findings
from patchscope.gather import MODEL_FAILED
from patchscope.gather import judged as judged_analysis
from patchscope.report.content import Content
from patchscope.report.kernelpart import load_kernel_result
from patchscope.report.modelpart import model_part
from patchscope.report.tables import COLUMNS

if TYPE_CHECKING:
    import networkx as nx

FILES = ("index.html", *(f"{t}.csv" for t in COLUMNS), "graph.graphml", "graph.dot", "graph.svg")
# Graphviz's 14 pt labels drawn at about 10 px: a few hundred entities fit a few screens.
PICTURE_SCALE = 0.55
# The page's picture: a force-directed layout keeps a graph of a few hundred entities near
# square (the layered drawing of the reference series is 3600 x 12300 pt, mostly empty);
# to_dot's overlap=scale spreads it until no two nodes overlap, deterministically.
PICTURE_ENGINE = "sfdp"
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass(frozen=True)
class Request:
    source: str
    output: Path | None  # None: reports/<series-name>/ under the current directory
    tree: str | None = None
    previous: str | None = None
    offline: bool = False
    baseline: str | None = None  # None: .patchscope-baseline.toml where `check` finds it
    kernel_result: str | None = None  # a saved `patchscope kernel --json`


def default_folder(series_name: str) -> Path:
    """reports/<name>/, the name made a single safe path component (it may come from a mail)."""
    name = _UNSAFE.sub("-", series_name).strip(".-") or "series"
    return Path("reports") / name


@dataclass(frozen=True)
class Written:
    """Where the report went, and what the command tells about it."""

    folder: Path
    # Why the page has no call-graph picture (and there is no graph.svg); None: it has one.
    no_picture: str | None = None


def write_report(request: Request) -> Written:
    """Write every file of the report. Inputs are never overwritten.

    When Graphviz cannot draw the graph (a broken install, a graph past its size limit)
    the report is still written, without the pictures: the page says why."""
    if request.output is not None:  # known before the work: refuse at once
        _refuse_inputs(request, request.output)
    content, graph = _gather(request)
    folder = request.output
    if folder is None:
        folder = default_folder(content.series.name)
        _refuse_inputs(request, folder)
    files, no_picture = _render(content, graph)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            if name in files:
                write_file(folder / name, files[name])
            else:  # an earlier run's drawing would not be of this graph
                (folder / name).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write the report: {exc.strerror}") from None
    return Written(folder, no_picture)


def write_file(path: Path, data: bytes) -> None:
    """Write `path` itself: a link there to a file elsewhere would write outside the folder."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputError(f"{path}: refusing to write through a symbolic link") from None
        raise
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _refuse_inputs(request: Request, folder: Path) -> None:
    """No file the report writes may be one the user gave, or lie inside a folder given."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: not a directory")
    targets = {(folder / name).resolve() for name in FILES}
    tree = _tree_folder(request.tree)
    given = (request.source, request.previous, request.baseline, tree, request.kernel_result)
    for path in filter(None, given):
        where = Path(path).resolve()
        if where in targets or (where.is_dir() and folder.resolve().is_relative_to(where)):
            raise OutputError(f"{folder}: refusing to write over or into the input {path}")
    for source in filter(None, (request.source, request.previous)):
        for name in FILES:  # a manifest's mbox files too
            check_output(source, folder / name)


def _tree_folder(tree: str | None) -> str | None:
    """A --tree DIR is the user's checkout; a git: tree is read from objects only."""
    return None if tree is None or tree.startswith("git:") else tree


def _gather(request: Request) -> tuple[Content, nx.MultiDiGraph]:
    from patchscope.diff.rangediff import range_diff
    from patchscope.graph.build import build_graph
    from patchscope.pipeline import analyse, load_series

    waivers = find_baseline(request.source, request.baseline)  # a bad one stops us first
    kernel = load_kernel_result(request.kernel_result) if request.kernel_result else None
    analysis = analyse(request.source, tree=request.tree, offline=request.offline)
    verified = analysis.verified
    previous = rangediff = None
    if request.previous is not None:
        previous = load_series(request.previous, offline=request.offline)
        rangediff = range_diff(previous.patches, verified.series.patches)
    graph = build_graph(verified.series, analysis.facts, verified.dependencies, analysis.tree)
    gathered = judged_analysis(analysis, request.source, waivers)
    judged = list(gathered.judged)
    try:
        model = model_part(request.source, verified.series, graph, gathered.run, gathered.findings)
    except PatchscopeError as exc:  # the rest of the report stands without the model
        model = None
        found = [f for f in gathered.findings if f.rule != STALE_RULE]  # judged afresh
        failed = Finding(MODEL_FAILED, "warning", str(exc))
        judged = judge(sort_findings([*found, failed]), waivers)
    content = Content(
        verified=verified,
        findings=tuple(j.finding for j in judged),
        entities=tuple(entity_rows(analysis.facts)),
        model=model,
        previous=previous,
        rangediff=rangediff,
        muted={j.finding.fingerprint: j.reason for j in judged if j.reason is not None},
        kernel=kernel,
    )
    return content, graph


def highlight_classes(graph: nx.MultiDiGraph) -> dict[str, str]:
    """node id -> "touched p1 p3": the CSS classes naming the patches that modify it."""
    by_node: dict[str, set[int]] = {}
    for u, v, kind in graph.edges(data="kind"):
        if kind == "modifies":
            by_node.setdefault(v, set()).add(int(graph.nodes[u]["number"]))
    for node, number in graph.nodes(data="number"):
        if number is not None:  # a patch node stands for its patch
            by_node.setdefault(node, set()).add(int(number))
    return {
        node: " ".join(["touched", *(f"p{n}" for n in sorted(numbers))])
        for node, numbers in by_node.items()
    }


def _render(content: Content, graph: nx.MultiDiGraph) -> tuple[dict[str, bytes], str | None]:
    """The report's files, and why the pictures are missing (None when they are drawn)."""
    from patchscope.graph.export import area_colour, render, to_dot
    from patchscope.graph.render import GraphvizError, render_svg
    from patchscope.report import html, tables
    from patchscope.report.pictures import clean_svg, patch_picture

    classes = highlight_classes(graph)
    dot = to_dot(graph)
    files = {"graph.graphml": render(graph, "graphml"), "graph.dot": dot.encode("utf-8")}
    no_picture = None
    try:
        picture = clean_svg(render_svg(dot, PICTURE_ENGINE).encode(), classes, PICTURE_SCALE)
        layered = clean_svg(render_svg(dot).encode(), classes)
        files["graph.svg"] = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n' + str(layered).encode() + b"\n"
        )
    except GraphvizError as exc:
        picture, no_picture = None, str(exc)
    except ValueError as exc:
        raise PatchscopeError(str(exc)) from None
    areas = {str(a): area_colour(str(a)) for _, a in graph.nodes(data="area", default="")}
    focused = {
        p.number: patch_picture(graph, p.number, classes, PICTURE_SCALE)
        for p in content.series.patches
    }
    page = html.render(content, picture, areas, no_picture, focused)
    files["index.html"] = page.encode("utf-8")
    for name, frame in tables.frames(content).items():
        files[f"{name}.csv"] = tables.csv_bytes(frame)
    return files, no_picture
