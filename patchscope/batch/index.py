"""The index of a batch: index.html (the report's Jinja2 set-up and CSP) and index.csv, one row
per series with the numbers of the database's series table."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from patchscope import __version__
from patchscope.batch.summary import Summary
from patchscope.report.html import environment
from patchscope.report.tables import cell

CSV_COLUMNS = (
    "key",
    "source",
    "status",
    "title",
    "version",
    "patches",
    "errors",
    "warnings",
    "infos",
    "claims",
    "claims_ok",
    "error",
    "reposts",
)


def index_html(rows: Sequence[Summary]) -> bytes:
    template = environment().get_template("batch.html.j2")
    analysed = sum(r.status == "ok" for r in rows)
    return template.render(rows=rows, analysed=analysed, version=__version__).encode()


def index_csv(rows: Sequence[Summary]) -> bytes:
    """Every cell as the report's tables write one (formulas neutralised, a CR made a LF):
    titles and errors come from mail."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_blank(cell(getattr(row, name))) for name in CSV_COLUMNS])
    return out.getvalue().encode()


def _blank(value: object) -> object:
    return "" if value is None else value
