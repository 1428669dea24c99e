"""`patchscope check SOURCE [--tree ...] [--json] [--fail-on ...] [--baseline FILE]`: every
finding there is, those a baseline waives shown as muted."""

from __future__ import annotations

import argparse
import sys

from patchscope.baseline import Judged, fails, find_baseline, judge
from patchscope.checks.run import run_checks
from patchscope.commands.output import write_json
from patchscope.errors import EXIT_CLEAN, EXIT_FINDINGS
from patchscope.findings import Finding, sort_findings
from patchscope.pipeline import Analysis, analyse

SCHEMA_VERSION = 1
PIPE_WIDTH = 200  # a table written to a pipe or file is not cut at rich's default 80 columns


def main(args: argparse.Namespace) -> int:
    return run_check(
        args.source,
        tree=args.tree,
        as_json=args.json,
        fail_on=args.fail_on,
        offline=args.offline,
        baseline=args.baseline,
    )


def run_check(
    source: str,
    *,
    tree: str | None,
    as_json: bool,
    fail_on: str,
    offline: bool,
    baseline: str | None = None,
) -> int:
    waivers = find_baseline(source, baseline)  # a bad baseline stops us before the work
    judged = judge(all_findings(analyse(source, tree=tree, offline=offline)), waivers)
    return report(judged, as_json=as_json, fail_on=fail_on)


def report(judged: list[Judged], *, as_json: bool, fail_on: str) -> int:
    """Print the findings (JSON or table) and return the exit code --fail-on gives."""
    if as_json:
        write_json(check_json(judged))
    else:
        print_table(judged)
    return EXIT_FINDINGS if fails(judged, fail_on) else EXIT_CLEAN


def all_findings(analysis: Analysis) -> list[Finding]:
    """Ingestion's, the static checks' and the base tree's findings, in one sorted list."""
    verified = analysis.verified
    found = [*verified.findings, *run_checks(verified.series, analysis.facts, analysis.tree)]
    if analysis.tree is not None:
        found += analysis.tree.findings
    return sort_findings(found)


def check_json(judged: list[Judged]) -> dict[str, object]:
    """The `check --json` object; its shape is patchscope/schema/check.schema.json."""
    return {"schema_version": SCHEMA_VERSION, "findings": [j.to_json() for j in judged]}


_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_table(judged: list[Judged]) -> None:
    """The terminal table, evidence under each message; rich is imported only here."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False, width=None if sys.stdout.isatty() else PIPE_WIDTH)
    if not judged:
        console.print("no findings")
        return
    muted = sum(j.muted for j in judged)
    table = Table(title=f"{len(judged)} findings" + (f" ({muted} muted)" if muted else ""))
    for column in ("severity", "rule", "patch", "where", "entity", "message"):
        table.add_column(column, no_wrap=column in ("severity", "patch"))
    for j in judged:
        f = j.finding
        where = f.file or ""
        if f.file and f.line is not None:
            where = f"{f.file}:{f.line}"
        message = Text(f.message)
        for line in f.evidence:
            message.append(f"\n  {line}", style="dim")
        # the fingerprint is what a waiver names; a muted row says why it is muted
        message.append(f"\n  fingerprint: {f.fingerprint}", style="dim")
        if j.reason is not None:
            message.append(f"\n  muted: {j.reason}", style="dim")
        severity = f"{f.severity} (muted)" if j.muted else f.severity
        table.add_row(
            Text(severity, style="dim" if j.muted else _STYLE[f.severity]),
            f.rule,
            "" if f.patch is None else str(f.patch),
            where,
            f.entity or "",
            message,
        )
    console.print(table)
