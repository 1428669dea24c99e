"""Which C files of a tree hold which words, kept between runs.

A search of a whole kernel tree for a few function names otherwise reads every one of its
55,000 C files. The index holds tree facts only: the words each file holds (SQLite's FTS5
full-text index, which splits and indexes them in C), with the stamp the file had when it
was read: (mtime_ns, size, inode) in a folder, the blob id in a git revision. A file whose
stamp differs is read again, and its words are stored beside the build's; nothing of a
series is kept.
One SQLite file per tree folder or repository under patchscope's cache folder, never in the
tree: a build is written to a temporary file and renamed into place, so a concurrent run
sees a whole old index or a whole new one. A file that is not a readable index is ignored
and rebuilt. Set PATCHSCOPE_TREE_CACHE=off to read every file instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from patchscope.ingest.lore import cache_dir

VERSION = "4"
# A word is a maximal run of these, as `git grep -w` delimits one: a file holding `a.b` as
# a whole word holds the words `a` and `b`. FTS5's unicode61 tokenizer with `_` added
# splits ASCII text alike (non-ASCII bytes are read as U+FFFD, which separates words) and
# folds case, so it may list a file that holds only `A`: every hit is checked again.
WORD = re.compile(r"[A-Za-z0-9_]+")
BYTES_WORD = re.compile(rb"[A-Za-z0-9_]+")
TOKENIZER = "unicode61 tokenchars '_'"
# Past this share of files read again since the build (and this many), building anew is
# cheaper than reading them again run after run.
REBUILD_SHARE = 0.25
REBUILD_FILES = 256
# What an index file that is not one raises when read: SQLite's errors, an id no file has.
CORRUPT = (sqlite3.DatabaseError, IndexError)


def words_of(data: bytes) -> set[str]:
    return {word.decode() for word in set(BYTES_WORD.findall(data))}


@dataclass(frozen=True)
class Files:
    """The C files an index answers for: where they live (a tree's folder, a repository's),
    each path with its stamp (what changes whenever its content does), and how to read them."""

    root: Path
    stamps: Mapping[str, str]
    contents: Callable[[Sequence[str]], Iterator[bytes]]  # of these paths, in their order
    readable: Callable[[str], bool]


def files_holding(files: Files, words: Sequence[str]) -> dict[str, list[str]]:
    """Those of `files` that may hold one of `words` as a whole word, each with the words
    it may hold (in their order); every file with every word when the index cannot answer."""
    where = _location(files.root)
    parts = {word: frozenset(WORD.findall(word)) for word in words}
    if where is None or not all(parts.values()):
        return {path: list(words) for path in files.stamps}
    try:
        try:
            return _Index(where).holding(files, parts)
        except CORRUPT:  # no index, not an index, or one of another version: start again
            _build(files, where)
            return _Index(where).holding(files, parts)
    except (OSError, *CORRUPT):  # no cache folder to write, no FTS5: read every file
        return {path: list(words) for path in files.stamps}


def _location(root: Path) -> Path | None:
    """The index's file for `root`; None when disabled or when it would lie in the tree."""
    if os.environ.get("PATCHSCOPE_TREE_CACHE", "").lower() == "off":
        return None
    folder = cache_dir().resolve() / "tree-index"
    if folder.is_relative_to(root):
        return None
    key = hashlib.sha256(str(root).encode()).hexdigest()[:24]
    return folder / f"{key}.sqlite"


class _Index:
    def __init__(self, where: Path) -> None:
        if not where.is_file():
            raise sqlite3.DatabaseError("no index yet")
        self.where = where
        self.db = sqlite3.connect(f"{where.as_uri()}?mode=ro", uri=True)
        row = self.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        if row != (VERSION,):
            raise sqlite3.DatabaseError(f"index version {row}")

    def holding(self, files: Files, words: Mapping[str, frozenset[str]]) -> dict[str, list[str]]:
        """Files holding every part of one of `words` (each word with its runs of
        [A-Za-z0-9_]), with the words they hold."""
        stamps = files.stamps
        paths, kept = _listing(self.db)  # the file with id n is paths[n]
        gone: set[int] = set()  # ids of files changed or removed since the build
        stale: list[str] = []  # files changed or added since the build
        if list(stamps) != paths or list(stamps.values()) != kept:  # not the usual, all alike
            built = dict(zip(paths, kept, strict=True))
            stale = [path for path, now in stamps.items() if built.get(path) != now]
            gone = {n for n, path in enumerate(paths) if stamps.get(path) != kept[n]}
        if len(stale) > max(REBUILD_SHARE * len(stamps), REBUILD_FILES):
            self.db.close()
            _build(files, self.where)
            return _Index(self.where).holding(files, words)
        found: dict[str, list[str]] = {}
        for word, parts in words.items():
            for number in set.intersection(*(self._files_with(part) for part in parts)):
                if number not in gone:
                    found.setdefault(paths[number], []).append(word)
        found.update(self._stale_holding(files, stale, words))
        self.db.close()
        return found

    def _files_with(self, word: str) -> set[int]:
        query = "SELECT rowid FROM words WHERE words MATCH ?"
        return {row[0] for row in self.db.execute(query, (f'"{word}"',))}

    def _stale_holding(
        self, files: Files, stale: Sequence[str], words: Mapping[str, frozenset[str]]
    ) -> Iterator[tuple[str, list[str]]]:
        """Files changed since the build: their words as last read again, or read now."""
        fresh = {row[0]: (row[1], row[2]) for row in self.db.execute("SELECT * FROM fresh")}
        known = {
            path: set(fresh[path][1].split())
            for path in stale
            if path in fresh and fresh[path][0] == files.stamps[path]
        }
        unread = [path for path in stale if path not in known]
        learnt: list[tuple[str, str, str]] = []
        for path, data in zip(unread, files.contents(unread), strict=True):
            known[path] = words_of(data)
            learnt.append((path, files.stamps[path], " ".join(sorted(known[path]))))
        if learnt:
            _remember(self.where, learnt)
        for path in stale:
            held = [word for word, parts in words.items() if parts <= known[path]]
            if held:
                yield path, held


def _listing(db: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """The paths the index was built from, by id, and their stamps then."""
    row = db.execute("SELECT paths, stamps FROM listing").fetchone()
    paths, stamps = ([], []) if row is None or not row[0] else (t.split("\0") for t in row)
    if len(paths) != len(stamps):
        raise sqlite3.DatabaseError("a listing whose paths and stamps disagree")
    return paths, stamps


def _remember(where: Path, learnt: Sequence[tuple[str, str, str]]) -> None:
    """Store files read again; one transaction, skipped when another run holds the lock."""
    with contextlib.suppress(sqlite3.OperationalError):
        db = sqlite3.connect(where, timeout=2)
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO fresh VALUES (?, ?, ?)", learnt)
        finally:
            db.close()


def _build(files: Files, where: Path) -> None:
    """Read every file and write the index beside its place, then rename it there."""
    where.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=where.parent, suffix=".part")
    os.close(handle)
    try:
        db = sqlite3.connect(temporary)
        with db:
            db.executescript(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                "CREATE TABLE listing (paths TEXT, stamps TEXT);"
                "CREATE TABLE fresh (path TEXT PRIMARY KEY, stamp TEXT, words TEXT);"
                "CREATE VIRTUAL TABLE words USING fts5"
                f"(text, content='', detail=none, tokenize=\"{TOKENIZER}\");"
            )
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)", [("version", VERSION), ("root", str(files.root))]
            )
            # one that cannot be read is never listed as built, so every search reads it (and
            # says why it cannot)
            paths = [path for path in files.stamps if files.readable(path)]
            listing = ("\0".join(paths), "\0".join(files.stamps[path] for path in paths))
            db.execute("INSERT INTO listing VALUES (?, ?)", listing)
            texts = (data.decode("ascii", errors="replace") for data in files.contents(paths))
            db.executemany("INSERT INTO words (rowid, text) VALUES (?, ?)", enumerate(texts))
        db.close()
        os.replace(temporary, where)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    _forget_gone_trees(where.parent)


def _forget_gone_trees(folder: Path) -> None:
    """Remove the indexes of trees that no longer exist (a test's, a deleted checkout's)
    and those that cannot be read; a build in progress is a `.part` file, left alone."""
    for index in folder.glob("*.sqlite"):
        try:
            db = sqlite3.connect(f"{index.as_uri()}?mode=ro", uri=True)
            try:
                row = db.execute("SELECT value FROM meta WHERE key = 'root'").fetchone()
            finally:
                db.close()
            gone = row is None or not Path(row[0]).is_dir()
        except sqlite3.DatabaseError:
            gone = True
        if gone:
            with contextlib.suppress(FileNotFoundError):
                index.unlink()
