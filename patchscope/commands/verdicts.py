"""`patchscope verdicts SOURCE [--json]`: for every patch, its behaviour delta on the model,
its diffstat and its own words, and which touched functions the replays run."""

from __future__ import annotations

import argparse
import io

from patchscope.commands.output import write_json, write_text
from patchscope.errors import EXIT_CLEAN
from patchscope.model.verdicts import Verdict


def main(args: argparse.Namespace) -> int:
    from patchscope.checks import claim_mismatch
    from patchscope.graph.build import build_graph
    from patchscope.model.memory_hotplug.stages import (
        NO_MODEL,
        NoModelError,
        model_name,
        series_model,
    )
    from patchscope.model.verdicts import verdicts
    from patchscope.pipeline import analyse

    module = model_name(args.source)
    if module is None:  # known before the series is loaded (which may mean a download)
        raise NoModelError(NO_MODEL)
    analysis = analyse(args.source, tree=args.tree, offline=args.offline)
    series = analysis.verified.series
    graph = build_graph(series, analysis.facts, analysis.verified.dependencies, analysis.tree)
    static = claim_mismatch.check(series, analysis.facts, analysis.tree)
    found = verdicts(series, series_model(series, module, analysis.facts), graph, static)
    if args.json:
        write_json({"schema_version": 1, "verdicts": [v.to_json() for v in found]})
    else:
        for v in found:
            print_verdict(v)
    return EXIT_CLEAN


def print_verdict(v: Verdict) -> None:
    out = io.StringIO()  # the title and quoted lines come from mail: written out printable
    stat = v.diffstat
    out.write(f"[{v.patch}] {v.title}\n")
    out.write(f"    {stat.files} files, +{stat.insertions} -{stat.deletions}\n")
    for claim, line in v.says:
        out.write(f"    says {claim}: {line}\n")
    if not v.deltas:
        out.write("    behaviour: no change in any scenario\n")
    for d in v.deltas:
        changes = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in d.observables.items())
        rules = [f"+{r}" for r in d.findings_gained] + [f"-{r}" for r in d.findings_lost]
        out.write(f"    {d.scenario.label}: {'; '.join(filter(None, [changes, *rules]))}\n")
    out.write(f"    executed: {', '.join(v.executed) or '-'}\n")
    out.write(f"    no scenario reaches: {', '.join(v.unreached) or '-'}\n")
    out.write(f"    not modelled: {', '.join(v.not_modelled) or '-'}\n")
    for c in v.claims:
        out.write(f'    "{c.claim}": model {c.model}, static check {c.static} ({c.severity})\n')
    write_text(out.getvalue())
