"""One series' headline numbers: the database's series row and the index's row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from patchscope.batch.analyse import SeriesResult


@dataclass(frozen=True)
class Summary:
    """In the order of the series table's columns."""

    key: str
    source: str
    status: str  # "ok" or "failed"
    error: str | None
    title: str
    version: int
    name: str
    patches: int
    errors: int  # findings by severity
    warnings: int
    infos: int
    model: str | None
    claims: int
    claims_ok: int
    graph_nodes: int
    graph_edges: int
    reposts: str | None  # the other postings' keys, space-separated


def summarise(r: SeriesResult) -> Summary:
    severities = Counter(f.severity for f in r.findings)
    return Summary(
        key=r.key,
        source=r.source,
        status=r.status,
        error=r.error,
        title=r.title,
        version=r.version,
        name=r.name,
        patches=len(r.patches),
        errors=severities["error"],
        warnings=severities["warning"],
        infos=severities["info"],
        model=r.model,
        claims=len(r.claims),
        claims_ok=sum(c.ok for c in r.claims),
        graph_nodes=r.graph_nodes,
        graph_edges=r.graph_edges,
        reposts=" ".join(r.reposts) or None,
    )
