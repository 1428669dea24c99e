"""batch.sqlite: one table each for series, patches, findings and claims (standard sqlite3).

Rows go in ordered by series key, then patch number or position, into a fresh file, so the
same results give the same tables (and, with the same SQLite, the same bytes).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import astuple
from pathlib import Path

from patchscope.batch.analyse import SeriesResult
from patchscope.batch.summary import summarise

SCHEMA = """
CREATE TABLE series (
    key TEXT PRIMARY KEY,       -- the lead mail's message-id (cover, else lowest patch)
    source TEXT NOT NULL,       -- the file it was read from
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error TEXT,                 -- one line, when failed
    title TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,         -- b4's name of the thread's files, or the manifest's
    patches INTEGER NOT NULL,
    errors INTEGER NOT NULL,    -- findings by severity
    warnings INTEGER NOT NULL,
    infos INTEGER NOT NULL,
    model TEXT,                 -- the stage module that replayed its claims
    claims INTEGER NOT NULL,
    claims_ok INTEGER NOT NULL,
    graph_nodes INTEGER NOT NULL,
    graph_edges INTEGER NOT NULL,
    reposts TEXT                -- the keys of the other postings of the same series
);
CREATE TABLE patches (
    series_key TEXT NOT NULL REFERENCES series (key),
    number INTEGER NOT NULL,
    total INTEGER NOT NULL,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    message_id TEXT NOT NULL,
    files INTEGER NOT NULL,     -- computed from the diff
    insertions INTEGER NOT NULL,
    deletions INTEGER NOT NULL,
    diffstat_ok INTEGER,        -- NULL: no claimed diffstat, or malformed
    malformed INTEGER NOT NULL,
    PRIMARY KEY (series_key, number)
);
CREATE TABLE findings (
    series_key TEXT NOT NULL REFERENCES series (key),
    position INTEGER NOT NULL,  -- in the contract's order
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    patch INTEGER,
    file TEXT,
    line INTEGER,
    entity TEXT,
    message TEXT NOT NULL,
    evidence TEXT NOT NULL,     -- JSON list of lines
    PRIMARY KEY (series_key, position)
);
CREATE TABLE claims (
    series_key TEXT NOT NULL REFERENCES series (key),
    position INTEGER NOT NULL,  -- the manifest's order
    quote TEXT NOT NULL,
    source TEXT NOT NULL,       -- cover, message:N or diff:N
    flow TEXT NOT NULL,
    params TEXT NOT NULL,       -- JSON object
    observable TEXT NOT NULL,
    expected TEXT NOT NULL,
    stage INTEGER,
    replayed TEXT,              -- the number the model gave, as text (int or float)
    ok INTEGER NOT NULL,
    reason TEXT,
    PRIMARY KEY (series_key, position)
);
"""
TABLES = ("series", "patches", "findings", "claims")


def write_database(results: Sequence[SeriesResult], path: Path) -> None:
    """Write a new database at `path` (any older one is replaced only once this one is done).

    Neither name is written through: a link left at `.partial` is removed, and the rename
    replaces a link at `path` rather than the file it points to.
    """
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(partial)) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.executescript(SCHEMA)
        with db:
            for r in sorted(results, key=lambda r: r.key):
                _insert(db, "series", astuple(summarise(r)))
                for table, rows in _children(r):
                    for row in rows:
                        _insert(db, table, (r.key, *row))
    os.replace(partial, path)


def _children(r: SeriesResult) -> Iterator[tuple[str, list[tuple[object, ...]]]]:
    yield (
        "patches",
        [
            (
                p.number,
                p.total,
                p.title,
                p.author,
                p.message_id,
                p.files,
                p.insertions,
                p.deletions,
                p.diffstat_ok,
                p.malformed,
            )
            for p in r.patches
        ],
    )
    yield (
        "findings",
        [
            (
                n,
                f.rule,
                f.severity,
                f.fingerprint,
                f.patch,
                f.file,
                f.line,
                f.entity,
                f.message,
                json.dumps(list(f.evidence)),
            )
            for n, f in enumerate(r.findings, start=1)
        ],
    )
    yield (
        "claims",
        [
            (
                n,
                c.claim.quote,
                c.claim.source,
                c.claim.flow,
                json.dumps(dict(c.claim.params), sort_keys=True),
                c.claim.observable,
                str(c.claim.expected),
                c.claim.stage,
                None if c.replayed is None else repr(c.replayed),
                c.ok,
                c.reason,
            )
            for n, c in enumerate(r.claims, start=1)
        ],
    )


def _insert(db: sqlite3.Connection, table: str, row: tuple[object, ...]) -> None:
    marks = ", ".join("?" * len(row))
    db.execute(f"INSERT INTO {table} VALUES ({marks})", row)
