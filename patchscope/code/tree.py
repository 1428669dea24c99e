"""An optional base tree (a checkout or git:PATH@REV) and what it tells about a series."""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from patchscope.code.fragments import C_SUFFIXES, is_c_file
from patchscope.code.model import SeriesFacts
from patchscope.errors import SourceError
from patchscope.findings import Finding, sort_findings
from patchscope.ingest.series import Series

if TYPE_CHECKING:
    import git

    from patchscope.code.callers import Site
    from patchscope.code.maintainers import FileSections
    from patchscope.code.place import Placement
    from patchscope.code.spans import Span


@dataclass(frozen=True)
class GrepHit:
    file: str
    line: int
    text: str  # the whole line, as in the file


def words_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Any of `words` between non-word characters, as `git grep -w` delimits a word."""
    ordered = sorted(words, key=len, reverse=True)
    if not words or not all(words):
        alternatives = "|".join(re.escape(word) for word in ordered)
        return re.compile(rf"(?<!{_WORD_CHARACTER})(?:{alternatives})(?!{_WORD_CHARACTER})")
    # each word's first character, then the look back for a word character before it: a
    # pattern that starts with literals lets the search skip to where one of them is
    alternatives = "|".join(
        f"{re.escape(word[0])}(?<!{_WORD_CHARACTER}.){re.escape(word[1:])}" for word in ordered
    )
    return re.compile(rf"(?:{alternatives})(?!{_WORD_CHARACTER})")


_WORD_CHARACTER = "[A-Za-z0-9_]"


def split_lines(text: str) -> list[str]:
    """Lines without their newline; unlike str.splitlines(), a form feed stays inside a line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def matching_lines(name: str, text: str, pattern: re.Pattern[str]) -> Iterator[GrepHit]:
    """Each line of file `name` where `pattern` matches, searched in the whole text at once
    (a word never spans lines, and a newline delimits a word as a line's ends do)."""
    lines = split_lines(text)
    row, start, last = 0, 0, -1  # `row`: the 0-based line holding offset `start`
    for match in pattern.finditer(text):
        row += text.count("\n", start, match.start())
        start = match.start()
        if row != last:
            last = row
            yield GrepHit(name, row + 1, lines[row])


def stamp(stat: os.stat_result) -> str:
    """What tells a file's content changed without reading it."""
    return f"{stat.st_mtime_ns}:{stat.st_size}:{stat.st_ino}"


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


class Tree(ABC):
    """Read-only access to a kernel tree's files (directory or a git revision)."""

    spec: str

    @abstractmethod
    def read(self, path: str) -> str | None:
        """The file's text, or None when the tree has no such file."""

    @abstractmethod
    def files(self) -> tuple[str, ...]:
        """Every file's path, sorted, '/'-separated and relative to the top."""

    @abstractmethod
    def grep(self, words: Sequence[str]) -> tuple[GrepHit, ...]:
        """Lines of *.c and *.h files holding one of `words` as a whole word, by file and line."""

    @abstractmethod
    def commit_title(self, sha: str) -> str | None:
        """The subject of commit `sha`, or None when the history has no such commit."""

    @property
    @abstractmethod
    def has_history(self) -> bool:
        """Whether commit ids can be looked up at all."""


class DirTree(Tree):
    """A checkout on disk; its git history, when it has one, answers commit look-ups."""

    def __init__(self, root: Path, spec: str) -> None:
        self.root = root.resolve()
        self.spec = spec
        self._stamped: dict[str, str] | None = None  # walked on the first search

    def read(self, path: str) -> str | None:
        target = self._inside(path)
        if target is None or not target.is_file():
            return None
        return decode(target.read_bytes())

    def files(self) -> tuple[str, ...]:
        return tuple(sorted(self._walk(("",))))  # every name ends with ""

    def grep(self, words: Sequence[str]) -> tuple[GrepHit, ...]:
        from patchscope.code.treeindex import Files, files_holding  # sqlite3, for a search

        if not words:
            return ()
        hits: list[GrepHit] = []
        files = Files(self.root, self._sources(), self._contents, self._can_read)
        held = files_holding(files, words)
        found = sorted(held)
        # a file is searched for the words it holds only: one alternative a word, tried at
        # every place that starts like one, makes a search of all of them costly
        patterns: dict[tuple[str, ...], re.Pattern[str]] = {}
        for name, data in zip(found, self._contents(found), strict=True):
            present = tuple(word for word in held[name] if word.encode() in data)
            if present:
                pattern = patterns.get(present) or patterns.setdefault(
                    present, words_pattern(present)
                )
                hits.extend(matching_lines(name, decode(data), pattern))
        return tuple(hits)

    def _contents(self, paths: Sequence[str]) -> Iterator[bytes]:
        return ((self.root / path).read_bytes() for path in paths)

    def _can_read(self, path: str) -> bool:
        return os.access(self.root / path, os.R_OK)

    def commit_title(self, sha: str) -> str | None:
        return None if self._repo is None else _title(self._repo, sha)

    @property
    def has_history(self) -> bool:
        return self._repo is not None

    @cached_property  # git is loaded only when a commit id is looked up
    def _repo(self) -> git.Repo | None:
        return _history_of(self.root)

    def _inside(self, path: str) -> Path | None:
        """The file's real location; None for a path or symlink that leaves the tree."""
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root):
            return None
        return target

    def _sources(self) -> dict[str, str]:
        """Each C source or header (the only files searched) with its stamp."""
        if self._stamped is None:
            self._stamped = self._walk(C_SUFFIXES)
        return self._stamped

    def _walk(self, suffixes: tuple[str, ...]) -> dict[str, str]:
        """Every file whose name ends with one of `suffixes`, with its stamp; symlinks that
        leave the tree are left out, symlinked folders not followed. A folder is listed and
        its files stamped through a descriptor of it: the system then looks a name up in its
        folder, not along its whole path (a tenth of the walk's time in Linux's tree)."""
        found: dict[str, str] = {}
        folders = [(str(self.root), "")]
        while folders:
            folder, prefix = folders.pop()
            try:
                handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                continue  # a folder that cannot be listed, as os.walk passes it over
            try:
                entries = list(os.scandir(handle))
            except OSError:
                entries = []
            try:  # the entries' stat() and is_file() use the descriptor
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name != ".git":
                            folders.append((f"{folder}/{entry.name}", f"{prefix}{entry.name}/"))
                    elif entry.name.endswith(suffixes) and self._readable(entry, folder):
                        found[prefix + entry.name] = stamp(entry.stat())
            finally:
                os.close(handle)
        return found

    def _readable(self, entry: os.DirEntry[str], folder: str) -> bool:
        """A file, or a symlink to one inside the tree (a FIFO would block its reader)."""
        if entry.is_symlink() and not self._stays(Path(folder, entry.name)):
            return False
        return entry.is_file()

    def _stays(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.root)


class GitTree(Tree):
    """One revision of a repository, read from its objects; the work tree is never used."""

    def __init__(self, repo: git.Repo, commit: git.Commit, spec: str) -> None:
        self.repo = repo
        self.commit = commit
        self.spec = spec

    def read(self, path: str) -> str | None:
        try:
            blob = self.commit.tree / path
        except KeyError:
            return None
        if blob.type != "blob":
            return None
        return decode(blob.data_stream.read())

    def files(self) -> tuple[str, ...]:
        listing = self.repo.git.ls_tree("-r", "-z", "--name-only", self.commit.hexsha)
        return tuple(sorted(name for name in listing.split("\0") if name))

    def grep(self, words: Sequence[str]) -> tuple[GrepHit, ...]:
        import git

        from patchscope.code.treeindex import Files, files_holding  # sqlite3, for a search

        if not words:
            return ()
        rev = self.commit.hexsha
        files = Files(Path(self.repo.git_dir).resolve(), self._blobs, self._contents, _any)
        # git grep itself finds the lines; the index only names the files worth its time
        found = sorted(files_holding(files, words))
        if not found:
            return ()
        where = [f":(literal){path}" for path in found] if len(found) <= _PATHSPECS else []
        try:
            out = self.repo.git.grep(
                "-z",
                "-n",
                "-w",
                "-F",
                "-I",
                *_each("-e", words),
                rev,
                "--",
                *(where or [f"*{suffix}" for suffix in C_SUFFIXES]),
                strip_newline_in_stdout=False,
            )
        except git.GitCommandError as exc:
            if exc.status == 1:  # git grep's "nothing found"
                return ()
            raise SourceError(f"{self.spec}: git grep failed: {exc.stderr.strip()}") from exc
        return tuple(_grep_hits(out, f"{rev}:"))

    @cached_property
    def _blobs(self) -> dict[str, str]:
        """Each C source and header of the revision with its blob id, which changes whenever
        its content does: the stamps of the index."""
        listing = self.repo.git.ls_tree("-r", "-z", self.commit.hexsha)
        found: dict[str, str] = {}
        for record in listing.split("\0"):
            about, _, path = record.partition("\t")
            fields = about.split(" ")  # mode, type, object id
            if len(fields) == 3 and fields[1] == "blob" and is_c_file(path):
                found[path] = fields[2]
        return found

    def _contents(self, paths: Sequence[str]) -> Iterator[bytes]:
        for path in paths:
            yield self.repo.odb.stream(bytes.fromhex(self._blobs[path])).read()

    def commit_title(self, sha: str) -> str | None:
        return _title(self.repo, sha)

    @property
    def has_history(self) -> bool:
        return True


# Past this many files, git grep is given its usual patterns rather than every file's name.
_PATHSPECS = 2000


def _any(_path: str) -> bool:
    return True  # a revision's blobs are all readable


def _each(flag: str, values: Sequence[str]) -> list[str]:
    return [item for value in values for item in (flag, value)]


def _grep_hits(out: str, prefix: str) -> Iterator[GrepHit]:
    """Read `git grep -z -n` output: 'REV:path' NUL line NUL text, one match a line."""
    for record in out.split("\n"):
        if not record:
            continue
        name, number, text = record.split("\0", 2)
        yield GrepHit(name.removeprefix(prefix), int(number), text)


def _history_of(root: Path) -> git.Repo | None:
    if not (root / ".git").exists():
        return None
    import git

    try:
        return git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def _title(repo: git.Repo, sha: str) -> str | None:
    import git

    try:  # an unknown id is BadName, a missing or non-commit object ValueError
        commit = repo.commit(sha)
    except (ValueError, git.BadName, git.BadObject):
        return None
    return str(commit.summary)


def open_tree(spec: str) -> Tree:
    """`DIR` or `git:PATH@REV`; one SourceError line for anything that cannot be read."""
    if spec.startswith("git:"):
        return _open_git(spec)
    root = Path(spec)
    if not root.is_dir():
        raise SourceError(f"{spec}: no such directory for --tree")
    return DirTree(root, spec)


def _open_git(spec: str) -> GitTree:
    import git

    where, at, rev = spec.removeprefix("git:").rpartition("@")
    if not at or not where or not rev:
        raise SourceError(f"{spec}: a git tree is written git:PATH@REV")
    try:
        repo = git.Repo(where)
    except git.NoSuchPathError as exc:
        raise SourceError(f"{spec}: no such directory {where}") from exc
    except git.InvalidGitRepositoryError as exc:
        raise SourceError(f"{spec}: {where} is not a git repository") from exc
    try:
        commit = repo.commit(rev)
    except (ValueError, git.BadName, git.GitCommandError) as exc:
        raise SourceError(f"{spec}: unknown revision {rev} in {where}") from exc
    return GitTree(repo, commit, spec)


@dataclass(frozen=True)
class TreeFacts:
    """What the base tree adds to the series' own facts."""

    spec: str
    placement: Placement  # hunks placed stage by stage, and the touched files' texts
    spans: tuple[Span, ...]  # whole definitions of touched functions at every stage
    callers: tuple[Site, ...]  # every site of a touched function after the series, any kind
    prototypes: tuple[Site, ...]  # sites of functions whose prototype the series changes
    maintainers: tuple[FileSections, ...]  # MAINTAINERS sections of each touched file
    findings: tuple[Finding, ...]
    # the sign-off findings judged by the tree's .mailmap; None when it has none
    signoffs: tuple[Finding, ...] | None = None


def tree_facts(series: Series, facts: SeriesFacts, tree: Tree) -> TreeFacts:
    # imported here: these modules read the tree through the Tree type defined above
    from patchscope.code.callers import (
        new_prototypes,
        prototype_sites_among,
        sites,
        touched_functions,
    )
    from patchscope.code.commits import check_commit_refs
    from patchscope.code.maintainers import maintainers_facts
    from patchscope.code.place import place_series
    from patchscope.code.spans import function_spans

    placement = place_series(series, tree)
    names = touched_functions(facts)
    shapes = new_prototypes(facts)
    found = sites(names, tree, placement, shapes)  # one search of the tree for both
    sections, not_cc = maintainers_facts(series, tree)
    findings = [*placement.findings, *check_commit_refs(series, tree), *not_cc]
    return TreeFacts(
        spec=tree.spec,
        placement=placement,
        spans=function_spans(names, placement),
        callers=found,
        prototypes=prototype_sites_among(found, shapes),
        maintainers=sections,
        findings=tuple(sort_findings(findings)),
        signoffs=_signoffs(series, tree),
    )


def _signoffs(series: Series, tree: Tree) -> tuple[Finding, ...] | None:
    """Every patch's sign-offs again, with the tree's .mailmap saying who is who."""
    from patchscope.code.mailmap import read_mailmap
    from patchscope.ingest.signoff import signoff_findings

    text = tree.read(".mailmap")
    if text is None:
        return None
    same = read_mailmap(text).same
    return tuple(
        f
        for p in series.patches
        for f in signoff_findings(p.number, p.author, p.sender, p.signed_off_by, same)
    )
