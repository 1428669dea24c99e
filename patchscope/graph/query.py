"""Questions a reviewer asks of the graph: what does a patch reach, and across which boundary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from patchscope.graph.build import crosses_arch_mm

if TYPE_CHECKING:
    import networkx as nx

# The edges that carry control or data between entities; defines/declares/modifies do not.
FLOW = ("calls", "uses")


@dataclass(frozen=True)
class EdgeRef:
    source: str
    target: str
    kind: str
    via: str  # the pointer field of a call through one, "direct", or "" for other kinds


@dataclass(frozen=True)
class Impact:
    patch: int
    touched: tuple[str, ...]  # node ids the patch modifies
    callers: tuple[str, ...]  # functions calling or using a touched entity, within `hops`
    callees: tuple[str, ...]  # what touched functions call or use, within `hops`
    crossing: tuple[EdgeRef, ...]  # walked edges between an arch/* area and mm


def touched(graph: nx.MultiDiGraph, patch: int) -> tuple[str, ...]:
    return tuple(
        sorted(
            {
                v
                for _, v, kind in graph.out_edges(f"patch:{patch}", data="kind")
                if kind == "modifies"
            }
        )
    )


def _walk(
    graph: nx.MultiDiGraph, start: Iterable[str], hops: int, upstream: bool
) -> tuple[set[str], list[EdgeRef]]:
    """Nodes within `hops` FLOW edges of `start` (against the edges when upstream)."""
    seen = set(start)
    frontier = set(seen)
    walked: list[EdgeRef] = []
    for _ in range(hops):
        step: set[str] = set()
        for node in sorted(frontier):
            edges = (
                graph.in_edges(node, data=True) if upstream else graph.out_edges(node, data=True)
            )
            for u, v, attrs in edges:
                if attrs.get("kind") not in FLOW:
                    continue
                walked.append(EdgeRef(u, v, attrs["kind"], str(attrs.get("via", ""))))
                step.add(u if upstream else v)
        frontier = step - seen
        seen |= step
    return seen, walked


def callers(graph: nx.MultiDiGraph, node: str, hops: int = 1) -> tuple[str, ...]:
    found, _ = _walk(graph, [node], hops, upstream=True)
    return tuple(sorted(found - {node}))


def callees(graph: nx.MultiDiGraph, node: str, hops: int = 1) -> tuple[str, ...]:
    found, _ = _walk(graph, [node], hops, upstream=False)
    return tuple(sorted(found - {node}))


def crossing_edges(
    graph: nx.MultiDiGraph, edges: Iterable[EdgeRef] | None = None
) -> tuple[EdgeRef, ...]:
    """The FLOW edges (all of the graph's, or the given ones) between arch/* and mm."""
    if edges is None:
        edges = (
            EdgeRef(u, v, attrs["kind"], str(attrs.get("via", "")))
            for u, v, attrs in graph.edges(data=True)
            if attrs.get("kind") in FLOW
        )
    area = graph.nodes
    return tuple(
        sorted(
            {e for e in edges if crosses_arch_mm(area[e.source]["area"], area[e.target]["area"])},
            key=lambda e: (e.source, e.target, e.kind, e.via),
        )
    )


def impact(graph: nx.MultiDiGraph, patch: int, hops: int = 1) -> Impact:
    """What a patch touches, who calls that and what it calls, `hops` steps out."""
    start = touched(graph, patch)
    up, up_edges = _walk(graph, start, hops, upstream=True)
    down, down_edges = _walk(graph, start, hops, upstream=False)
    return Impact(
        patch=patch,
        touched=start,
        callers=tuple(sorted(up - set(start))),
        callees=tuple(sorted(down - set(start))),
        crossing=crossing_edges(graph, up_edges + down_edges),
    )
