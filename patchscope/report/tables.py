"""The report's CSV tables, written with pandas, one file per table, columns in a fixed order.

Column names are the flattened keys of the `stat --json` object (`author.name`,
`diffstat.claimed.insertions`) where the table holds what `stat` shows; lists inside a
row are joined with "; ", evidence lines with a newline. Every text cell a spreadsheet
would read as a formula (starting with =, +, -, @, a tab or a carriage return) is
written with a leading "'", and a carriage return inside a cell as a line feed. A blank
cell is a value the series does not give.

Each file, what a row is, and its columns in order (COLUMNS below):

- patches.csv, per patch: number, total, subject, author.name, author.email,
  sender.name, sender.email, message_id, date (UTC), malformed,
  diffstat.claimed.{files,insertions,deletions}, diffstat.computed.{same}, diffstat.ok
  (blank: no claim), signed_off_by, trailers (own and replies'), entities (changes),
  findings (count), behaviour (the model's delta; blank without a model).
- files.csv, per (patch, file): patch (0 is the cover letter's cumulative diffstat
  against the composed series), path, old_path, status, binary, added, removed,
  claimed (the count the diffstat gives the file).
- entities.csv, per (patch, entity, change), as `patchscope entities`: patch, kind,
  name, file, line, change, detail, area, guard.
- dependencies.csv, per (patch, earlier patch, reason): patch, depends_on, kind
  (blob, context, removed), file, detail.
- claims.csv, per claim replayed on the model (no rows without one): quote, source,
  flow, params, observable, expected, replayed, ok.
- findings.csv, per finding, as `check --json`: rule, fingerprint, severity, patch,
  file, line, entity, message, evidence, muted (a baseline waives it), reason (the
  waiver's).
- stages.csv, per (stage, flow, observable) of the model (no rows without one):
  stage (0 is the base tree), flow, observable, value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from patchscope.commands.entities import COLUMNS as ENTITY_COLUMNS
from patchscope.ingest.mail import Person
from patchscope.report.content import Content, patch_files
from patchscope.stat_json import stat_json

if TYPE_CHECKING:
    import pandas as pd

Row = Mapping[str, object]

COLUMNS: dict[str, tuple[str, ...]] = {
    "patches": (
        "number",
        "total",
        "subject",
        "author.name",
        "author.email",
        "sender.name",
        "sender.email",
        "message_id",
        "date",
        "malformed",
        "diffstat.claimed.files",
        "diffstat.claimed.insertions",
        "diffstat.claimed.deletions",
        "diffstat.computed.files",
        "diffstat.computed.insertions",
        "diffstat.computed.deletions",
        "diffstat.ok",
        "signed_off_by",
        "trailers",
        "entities",
        "findings",
        "behaviour",
    ),
    "files": ("patch", "path", "old_path", "status", "binary", "added", "removed", "claimed"),
    "entities": ENTITY_COLUMNS,
    "dependencies": ("patch", "depends_on", "kind", "file", "detail"),
    "claims": (
        "quote",
        "source",
        "flow",
        "params",
        "observable",
        "expected",
        "replayed",
        "ok",
    ),
    "findings": (
        "rule",
        "fingerprint",
        "severity",
        "patch",
        "file",
        "line",
        "entity",
        "message",
        "evidence",
        "muted",
        "reason",
    ),
    "stages": ("stage", "flow", "observable", "value"),
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would evaluate, made inert; other cells as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def frames(content: Content) -> dict[str, pd.DataFrame]:
    """Every table, by name (the CSV file's stem), with COLUMNS' columns in order."""
    rows: dict[str, list[Row]] = {
        "patches": _patches(content),
        "files": _files(content),
        "entities": list(content.entities),
        "dependencies": _dependencies(content),
        "claims": [vars(c) for c in content.model.claims] if content.model else [],
        "findings": _findings(content),
        "stages": [vars(s) for s in content.model.stages] if content.model else [],
    }
    return {name: table(found, COLUMNS[name]) for name, found in rows.items()}


def table(rows: Sequence[Row], columns: Sequence[str]) -> pd.DataFrame:
    """The rows as one table, these columns in order, every cell through `cell`."""
    import pandas as pd

    cells = [[cell(row.get(column)) for column in columns] for row in rows]
    # object dtype keeps integers with blanks integers ("3", ""), never "3.0"
    return pd.DataFrame(cells, columns=list(columns), dtype=object)


def cell(value: object) -> object:
    """A value as a CSV cell: neutralised, and a CR made a LF. With LF line ends the csv
    writer quotes a cell holding a LF but not one holding a lone CR, which a reader takes
    for the end of the row: what follows it would start a row and a formula of its own."""
    value = neutralise(value)
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The bytes of one table: no index, LF line ends, so two runs write the same file."""
    text: str = frame.to_csv(index=False, lineterminator="\n")
    return text.encode("utf-8")


def _people(people: Iterable[Person]) -> str:
    return "; ".join(f"{p.name} <{p.email}>" for p in people)


def _flatten(document: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """Nested objects as dotted keys; lists are left for the caller to join."""
    flat: dict[str, object] = {}
    for key, value in document.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


def _patches(content: Content) -> list[Row]:
    stat = stat_json(content.verified)
    out: list[Row] = []
    documents: Sequence[Mapping[str, object]] = stat["patches"]  # type: ignore[assignment]
    for patch, document in zip(content.series.patches, documents, strict=True):
        row = _flatten(document)
        behaviour = content.model.behaviour.get(patch.number, ()) if content.model else ()
        row |= {
            "signed_off_by": _people(patch.signed_off_by),
            "trailers": "; ".join(f"{t.trailer.name}: {t.trailer.value}" for t in patch.trailers),
            "entities": len(content.patch_entities(patch.number)),
            "findings": len(content.patch_findings(patch.number)),
            "behaviour": "; ".join(behaviour),
        }
        out.append(row)
    return out


def _files(content: Content) -> list[Row]:
    """One row per (patch, file), then the cover letter's files as patch 0."""
    out: list[Row] = []
    for patch in content.series.patches:
        claimed = {check.path: check.claimed for check in patch_files(patch)}
        for f in patch.files:
            out.append({"patch": patch.number, **f.to_json(), "claimed": claimed.get(f.path)})
    composed = content.verified.composed
    lines = composed.lines if composed else {}
    for check in content.cover_files():
        added, removed = lines.get(check.path, (None, None))
        row = {"patch": 0, "path": check.path, "old_path": check.path, "claimed": check.claimed}
        out.append(row | {"added": added, "removed": removed})
    return out


def _dependencies(content: Content) -> list[Row]:
    return [
        {"patch": d.patch, "depends_on": d.depends_on, **vars(r)}
        for d in content.verified.dependencies
        for r in d.reasons
    ]


def _findings(content: Content) -> list[Row]:
    return [
        f.to_json()
        | {
            "evidence": "\n".join(f.evidence),
            "muted": f.fingerprint in content.muted,
            "reason": content.muted.get(f.fingerprint),
        }
        for f in content.findings
    ]
