"""The batch's folder: batch.sqlite, index.html and index.csv, never over or inside an input."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from patchscope.batch.analyse import SeriesResult
from patchscope.batch.index import index_csv, index_html
from patchscope.batch.store import write_database
from patchscope.batch.summary import summarise
from patchscope.commands.graph import OutputError
from patchscope.report.write import write_file

DATABASE = "batch.sqlite"
FILES = (DATABASE, "index.html", "index.csv")


def refuse_inputs(sources: Sequence[str], folder: Path) -> None:
    """Checked before any work: the folder may be neither a given file nor inside a folder given."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: not a directory")
    targets = {(folder / name).resolve() for name in FILES}
    for source in sources:
        where = Path(source).resolve()
        if where in targets or (where.is_dir() and folder.resolve().is_relative_to(where)):
            raise OutputError(f"{folder}: refusing to write over or into the input {source}")


def write_outputs(results: Sequence[SeriesResult], folder: Path) -> None:
    ordered = sorted(results, key=lambda r: r.key)
    rows = [summarise(r) for r in ordered]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_database(ordered, folder / DATABASE)
        write_file(folder / "index.html", index_html(rows))
        write_file(folder / "index.csv", index_csv(rows))
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write the batch: {exc.strerror}") from None
