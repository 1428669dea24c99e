"""`patchscope entities SOURCE [--json]`: one row per (patch, entity, change)."""

from __future__ import annotations

import argparse
import json
import sys

from patchscope.code.model import Change, Definition, SeriesFacts
from patchscope.code.scan import guard_text
from patchscope.commands.output import write_text
from patchscope.errors import EXIT_CLEAN
from patchscope.graph.areas import area_of
from patchscope.pipeline import analyse
from patchscope.printable import printable

SCHEMA_VERSION = 1
COLUMNS = ("patch", "kind", "name", "file", "line", "change", "detail", "area", "guard")


def main(args: argparse.Namespace) -> int:
    return run_entities(args.source, tree=args.tree, as_json=args.json, offline=args.offline)


def run_entities(source: str, *, tree: str | None, as_json: bool, offline: bool) -> int:
    rows = entity_rows(analyse(source, tree=tree, offline=offline).facts)
    if as_json:
        json.dump(entities_json(rows), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif sys.stdout.isatty():
        print_table(rows)
    else:
        write_text(plain_text(rows))
    return EXIT_CLEAN


def entities_json(rows: list[dict[str, str | int]]) -> dict[str, object]:
    """The `entities --json` object; its shape is patchscope/schema/entities.schema.json."""
    return {"schema_version": SCHEMA_VERSION, "entities": rows}


def entity_rows(facts: SeriesFacts) -> list[dict[str, str | int]]:
    """Every change of every patch, in the patches' order, with its area and guard."""
    rows = []
    for pf in facts.patches:
        for c in pf.changes:
            shown = pf.before if c.change == "removed" else pf.after
            rows.append(
                {
                    "patch": c.patch,
                    "kind": c.kind,
                    "name": c.name,
                    "file": c.file,
                    "line": c.line,
                    "change": c.change,
                    "detail": c.detail,
                    "area": area_of(c.file),
                    "guard": guard_text(_definition_guard(c, shown.definitions)),
                }
            )
    return rows


def _definition_guard(c: Change, definitions: tuple[Definition, ...]) -> tuple[str, ...]:
    """The guard of the definition the change is about: same entity, nearest line."""
    same = [d for d in definitions if (d.kind, d.name, d.file) == (c.kind, c.name, c.file)]
    if not same:
        return ()
    return min(same, key=lambda d: abs(d.line - c.line)).guard


def plain_text(rows: list[dict[str, str | int]]) -> str:
    """Tab-separated rows under a header, for pipes: a terminal table would be cut at 80 columns."""
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join(str(row[column]) for column in COLUMNS) for row in rows]
    return "".join(line + "\n" for line in lines)


def print_table(rows: list[dict[str, str | int]]) -> None:
    """The terminal table; rich is imported here so --json never loads it."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="entities")
    for column in COLUMNS:
        table.add_column(column, no_wrap=column in ("patch", "line", "change"))
    for row in rows:
        table.add_row(*(Text(printable(str(row[column]))) for column in COLUMNS))
    Console(highlight=False).print(table)
