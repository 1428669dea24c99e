"""`patchscope rangediff OLD NEW`: how each patch moved between two versions of a series."""

from __future__ import annotations

import argparse
import sys

from patchscope.commands.output import write_json, write_text
from patchscope.diff.rangediff import PatchRef, RangeDiff, RangeEntry, marker, range_diff
from patchscope.errors import EXIT_CLEAN
from patchscope.ingest.series import Series
from patchscope.pipeline import load_series
from patchscope.printable import printable

SCHEMA_VERSION = 1
ABBREV = 7  # patch-id digits shown, as git shows abbreviated commit ids


def main(args: argparse.Namespace) -> int:
    return run_rangediff(args.old, args.new, as_json=args.json, offline=args.offline)


def run_rangediff(old: str, new: str, *, as_json: bool, offline: bool) -> int:
    before = load_series(old, offline=offline)
    after = load_series(new, offline=offline)
    result = range_diff(before.patches, after.patches)
    if as_json:
        write_json(rangediff_json(before, after, result))
    elif sys.stdout.isatty():
        _print_rich(result, width=_number_width(before, after))
    else:
        write_text(plain_text(result, width=_number_width(before, after)))
    return EXIT_CLEAN


def rangediff_json(old: Series, new: Series, result: RangeDiff) -> dict[str, object]:
    """The `rangediff --json` object; its shape is patchscope/schema/rangediff.schema.json."""
    return {
        "schema_version": SCHEMA_VERSION,
        "old": _series_json(old),
        "new": _series_json(new),
        "pairs": [entry.to_json() for entry in result.entries],
    }


def _series_json(s: Series) -> dict[str, object]:
    return {
        "name": s.name,
        "title": s.title,
        "version": s.version,
        "message_id": s.message_id,
        "patches": len(s.patches),
    }


def _number_width(old: Series, new: Series) -> int:
    return len(str(max(len(old.patches), len(new.patches), 1)))


def header(entry: RangeEntry, width: int) -> str:
    """One line as git range-diff prints it: 'N:  id = M:  id title', with patch-ids for ids."""
    return f"{_side(entry.old, width)} {marker(entry)} {_side(entry.new, width)} {entry.title}"


def _side(ref: PatchRef | None, width: int) -> str:
    number = str(ref.number) if ref else "-"
    patch_id = ref.patch_id if ref and ref.patch_id else "-" * ABBREV
    return f"{number:>{width}}:  {patch_id[:ABBREV]}"


def _details(entry: RangeEntry) -> list[str]:
    """What follows a header: a new title, and the diff of the diffs of a changed patch."""
    lines = []
    if entry.old and entry.new and entry.old.title != entry.new.title:
        lines.append(f"## Subject ## {entry.old.title} -> {entry.new.title}")
    elif entry.message_changed:
        lines.append("## Commit message ## changed")
    if entry.status == "changed" and entry.interdiff:
        lines += entry.interdiff.splitlines()
    return lines


def plain_text(result: RangeDiff, *, width: int) -> str:
    """Text for pipes and files: git range-diff's layout, details indented by four spaces."""
    out = []
    for entry in result.entries:
        out.append(header(entry, width))
        out += [f"    {line}" for line in _details(entry)]
    return "".join(line + "\n" for line in out)


_STYLE = {"=": "green", "!": "yellow", "<": "red", ">": "cyan"}


def _print_rich(result: RangeDiff, *, width: int) -> None:
    """The terminal view; rich is imported here so --json and pipes never load it."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    table = Table(title="range-diff")
    for column in ("old", "", "new", "title"):
        table.add_column(column)
    for entry in result.entries:
        sign = marker(entry)
        table.add_row(
            _side(entry.old, width),
            Text(sign, style=_STYLE[sign]),
            _side(entry.new, width),
            Text(printable(entry.title)),
        )
    console.print(table)
    for entry in result.entries:
        details = _details(entry)
        if details:
            console.print(Text(printable(header(entry, width)), style="bold"))
            for line in details:
                style = {"-": "red", "+": "green", "@": "cyan"}.get(line[:1], "")
                console.print(Text(f"    {printable(line)}", style=style))
