"""The index of a batch: strings from mail are never evaluated by a spreadsheet or a browser."""

from __future__ import annotations

import csv
import io

from patchscope.batch.index import CSV_COLUMNS, index_csv, index_html
from patchscope.batch.summary import Summary

HOSTILE = '=HYPERLINK("http://x.invalid","y")'


def summary(title: str, error: str | None = None) -> Summary:
    status = "ok" if error is None else "failed"
    return Summary(
        "k@x", "a.mbox", status, error, title, 1, "n", 2, 1, 0, 0, None, 0, 0, 3, 4, None
    )


def test_csv_cells_that_start_a_formula_are_made_inert() -> None:
    rows = [summary(HOSTILE), summary("+1", error="-2 @ bad"), summary("@SUM(A1)")]
    table = list(csv.reader(io.StringIO(index_csv(rows).decode())))
    assert table[0] == list(CSV_COLUMNS)
    title, error = CSV_COLUMNS.index("title"), CSV_COLUMNS.index("error")
    assert [r[title] for r in table[1:]] == ["'" + HOSTILE, "'+1", "'@SUM(A1)"]
    assert table[2][error] == "'-2 @ bad"
    assert table[1][error] == ""  # no error: an empty cell, not "None"


def test_a_carriage_return_in_a_cell_cannot_start_a_row_of_its_own() -> None:
    # a lone CR is a row end to a CSV reader; the formula after it must stay in its cell
    rows = [summary("subject\r" + HOSTILE)]
    text = index_csv(rows).decode()
    # Python's csv module writes a lone CR unquoted (and reads it back), spreadsheets split there
    assert "\r" not in text
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == 2
    assert table[1][CSV_COLUMNS.index("title")] == "subject\n" + HOSTILE


def test_html_escapes_every_string_from_mail() -> None:
    page = index_html([summary("<script>alert(1)</script>", error='"><img src=x>')]).decode()
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "default-src 'none'" in page
