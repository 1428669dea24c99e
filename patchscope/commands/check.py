"""`patchscope check SOURCE [--tree ...] [--json] [--fail-on ...]`: every finding there is."""

from __future__ import annotations

import argparse
import sys

from patchscope.checks.run import run_checks
from patchscope.commands.output import write_json
from patchscope.errors import EXIT_CLEAN, EXIT_FINDINGS
from patchscope.findings import Finding, reaches, sort_findings
from patchscope.pipeline import Analysis, analyse

SCHEMA_VERSION = 1
PIPE_WIDTH = 200  # a table written to a pipe or file is not cut at rich's default 80 columns


def main(args: argparse.Namespace) -> int:
    return run_check(
        args.source, tree=args.tree, as_json=args.json, fail_on=args.fail_on, offline=args.offline
    )


def run_check(source: str, *, tree: str | None, as_json: bool, fail_on: str, offline: bool) -> int:
    findings = all_findings(analyse(source, tree=tree, offline=offline))
    if as_json:
        write_json(check_json(findings))
    else:
        print_table(findings)
    return EXIT_FINDINGS if reaches(findings, fail_on) else EXIT_CLEAN


def all_findings(analysis: Analysis) -> list[Finding]:
    """Ingestion's, the static checks' and the base tree's findings, in one sorted list."""
    verified = analysis.verified
    found = [*verified.findings, *run_checks(verified.series, analysis.facts, analysis.tree)]
    if analysis.tree is not None:
        found += analysis.tree.findings
    return sort_findings(found)


def check_json(findings: list[Finding]) -> dict[str, object]:
    """The `check --json` object; its shape is patchscope/schema/check.schema.json."""
    return {"schema_version": SCHEMA_VERSION, "findings": [f.to_json() for f in findings]}


_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_table(findings: list[Finding]) -> None:
    """The terminal table, evidence under each message; rich is imported only here."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False, width=None if sys.stdout.isatty() else PIPE_WIDTH)
    if not findings:
        console.print("no findings")
        return
    table = Table(title=f"{len(findings)} findings")
    for column in ("severity", "rule", "patch", "where", "entity", "message"):
        table.add_column(column, no_wrap=column in ("severity", "patch"))
    for f in findings:
        where = f.file or ""
        if f.file and f.line is not None:
            where = f"{f.file}:{f.line}"
        message = Text(f.message)
        for line in f.evidence:
            message.append(f"\n  {line}", style="dim")
        table.add_row(
            Text(f.severity, style=_STYLE[f.severity]),
            f.rule,
            "" if f.patch is None else str(f.patch),
            where,
            f.entity or "",
            message,
        )
    console.print(table)
