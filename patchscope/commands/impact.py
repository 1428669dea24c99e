"""`patchscope impact SOURCE --patch N`: what a patch touches, its callers and callees,
and the calls and uses among them that cross between arch/ and mm/."""

from __future__ import annotations

import argparse
import io
from dataclasses import asdict

from patchscope.commands.output import write_json, write_text
from patchscope.errors import EXIT_CLEAN, PatchscopeError


def main(args: argparse.Namespace) -> int:
    from patchscope.graph.build import build_graph
    from patchscope.graph.query import impact
    from patchscope.pipeline import analyse

    if args.hops < 1:
        raise PatchscopeError(f"--hops must be at least 1, not {args.hops}")
    analysis = analyse(args.source, tree=args.tree, offline=args.offline)
    numbers = [p.number for p in analysis.verified.series.patches]
    if args.patch not in numbers:
        raise PatchscopeError(f"no patch {args.patch} in {args.source} (it has {numbers})")
    verified = analysis.verified
    graph = build_graph(verified.series, analysis.facts, verified.dependencies, analysis.tree)
    found = impact(graph, args.patch, hops=args.hops)
    if args.json:
        write_json({"schema_version": 1, **asdict(found)})
        return EXIT_CLEAN
    out = io.StringIO()  # node ids hold paths from mail: written out printable
    for title, nodes in (
        ("touched", found.touched),
        ("callers", found.callers),
        ("callees", found.callees),
    ):
        out.write(f"{title} ({len(nodes)}):\n")
        out.writelines(f"  {node}\n" for node in nodes)
    out.write(f"arch/mm crossings ({len(found.crossing)}):\n")
    for edge in found.crossing:
        via = f" via {edge.via}" if edge.via and edge.via != "direct" else ""
        out.write(f"  {edge.source} -{edge.kind}{via}-> {edge.target}\n")
    write_text(out.getvalue())
    return EXIT_CLEAN
