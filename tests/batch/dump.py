"""A batch database as rows, table by table, in primary-key order: what runs are compared by."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from patchscope.batch.store import TABLES

Row = tuple[object, ...]


def dump(path: Path) -> dict[str, list[Row]]:
    keys = {"series": "key", "patches": "series_key, number"}
    with closing(sqlite3.connect(path)) as db:
        return {
            t: db.execute(
                f"SELECT * FROM {t} ORDER BY {keys.get(t, 'series_key, position')}"
            ).fetchall()
            for t in TABLES
        }


def rows(path: Path, query: str, *args: object) -> list[Row]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(query, args).fetchall()
