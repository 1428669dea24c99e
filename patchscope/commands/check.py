"""`patchscope check SOURCE [--tree ...] [--json] [--fail-on ...] [--baseline FILE]`: every
finding there is, those a baseline waives shown as muted."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

from patchscope.baseline import Judged, fails, find_baseline, judge
from patchscope.checks.run import run_checks
from patchscope.commands.output import write_json, write_text
from patchscope.errors import EXIT_CLEAN, EXIT_FINDINGS
from patchscope.findings import Finding, sort_findings
from patchscope.ingest.signoff import RULES as SIGNOFF_RULES
from patchscope.pipeline import Analysis, analyse
from patchscope.printable import printable

SCHEMA_VERSION = 1


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
    with _working(f"reading the base tree {tree}" if tree else None):
        analysis = analyse(source, tree=tree, offline=offline)
    judged = judge(all_findings(analysis), waivers)
    return report(judged, as_json=as_json, fail_on=fail_on)


@contextlib.contextmanager
def _working(what: str | None) -> Iterator[None]:
    """A spinner on stderr while a base tree is read (seconds on a kernel), only for a
    person at a terminal: never in a pipe, a log or under --quiet."""
    if what is None or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(what):
        yield


def report(judged: list[Judged], *, as_json: bool, fail_on: str) -> int:
    """Print the findings (JSON or table) and return the exit code --fail-on gives."""
    if as_json:
        write_json(check_json(judged))
    else:
        print_findings(judged)
    return EXIT_FINDINGS if fails(judged, fail_on) else EXIT_CLEAN


def all_findings(analysis: Analysis) -> list[Finding]:
    """Ingestion's, the static checks' and the base tree's findings, in one sorted list."""
    verified = analysis.verified
    ingested = list(verified.findings)
    if analysis.tree is not None and analysis.tree.signoffs is not None:
        # who is who is the tree's .mailmap's to say, not the addresses alone
        ingested = [f for f in ingested if f.rule not in SIGNOFF_RULES]
        ingested += analysis.tree.signoffs
    found = [*ingested, *run_checks(verified.series, analysis.facts, analysis.tree)]
    if analysis.tree is not None:
        found += analysis.tree.findings
    return sort_findings(found)


def check_json(judged: list[Judged]) -> dict[str, object]:
    """The `check --json` object; its shape is patchscope/schema/check.schema.json."""
    return {"schema_version": SCHEMA_VERSION, "findings": [j.to_json() for j in judged]}


_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_findings(judged: list[Judged]) -> None:
    """A rich table for a person at a terminal; plain lines for a pipe, a file or a log."""
    if sys.stdout.isatty():
        print_table(judged)
    else:
        print_plain(judged)


def _title(judged: list[Judged]) -> str:
    if not judged:
        return "no findings"
    muted = sum(j.muted for j in judged)
    return f"{len(judged)} findings" + (f" ({muted} muted)" if muted else "")


def _where(f: Finding) -> str:
    if f.file and f.line is not None:
        return f"{f.file}:{f.line}"
    return f.file or ""


def _severity(j: Judged) -> str:
    return f"{j.finding.severity} (muted)" if j.muted else j.finding.severity


def _details(j: Judged) -> list[str]:
    """The evidence, then the fingerprint a waiver names and, when muted, why."""
    lines = [*j.finding.evidence, f"fingerprint: {j.finding.fingerprint}"]
    return lines if j.reason is None else [*lines, f"muted: {j.reason}"]


def print_plain(judged: list[Judged]) -> None:
    """One line per finding (severity, rule, patch, place, entity, message), its details
    indented below: greppable, and no wider than the text itself."""
    lines = [_title(judged)]
    for j in judged:
        f = j.finding
        head = [_severity(j), f.rule]
        head += [f"patch {f.patch}"] if f.patch is not None else []
        head += [w for w in (_where(f), f.entity and f"[{f.entity}]") if w]
        lines.append(f"{' '.join(head)}: {f.message}")
        lines += [f"    {line}" for line in _details(j)]
    write_text("\n".join(lines) + "\n")


def print_table(judged: list[Judged]) -> None:
    """The terminal table, details under each message; rich is imported only here."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not judged:
        console.print(_title(judged))
        return
    table = Table(title=_title(judged))
    for column in ("severity", "rule", "patch", "where", "entity", "message"):
        table.add_column(column, no_wrap=column in ("severity", "patch"))
    for j in judged:
        f = j.finding
        message = Text(printable(f.message))
        for line in _details(j):
            message.append(f"\n  {printable(line)}", style="dim")
        table.add_row(
            Text(_severity(j), style="dim" if j.muted else _STYLE[f.severity]),
            f.rule,
            "" if f.patch is None else str(f.patch),
            Text(printable(_where(f))),  # Text: a path like mm/[/x].c is no rich markup
            Text(printable(f.entity or "")),
            message,
        )
    console.print(table)
