"""MAINTAINERS: the sections covering each touched file, and whom the series left out.

Written by hand: no Python library reads MAINTAINERS. The matching rules are the ones the
file's own header documents and scripts/get_maintainer.pl applies:
- `F:` a glob (`*` any run of characters, `?` one); a trailing `/` takes every file in
  and below the directory; without one, the pattern must match the whole path and have
  as many `/` as the path (so `drivers/net/*` does not reach below drivers/net); a bare
  directory name takes everything below it, like a trailing `/`. (get_maintainer.pl
  matches only the start of the path, so `mm/sparse.c` would also take `mm/sparse.cx`;
  the header means whole names, and so do we.)
- `X:` the same rules; a section is left out for a file any of its `X:` patterns match;
- `N:` a regular expression (Perl /x, so blanks in it do not count) searched in the path.
`K:` patterns match the content of a patch, not a path, and are not used here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING

from patchscope.findings import Finding
from patchscope.ingest.series import Series

if TYPE_CHECKING:
    from patchscope.code.tree import Tree

_ADDRESS = re.compile(r"[^\s<>\"()]+@[^\s<>\"()]+")
_ROLES = {"M": "maintainer", "L": "list"}
_WILDCARD = re.compile(r"[*?]")
_PLAIN = re.compile(r"[A-Za-z0-9_/-]+")  # a regex of these characters matches only itself


@dataclass(frozen=True)
class Entry:
    letter: str  # "M", "R", "L", "S", "F", "X", "N", "K", ...
    value: str


@dataclass(frozen=True)
class Section:
    title: str
    entries: tuple[Entry, ...]

    def values(self, letter: str) -> tuple[str, ...]:
        return tuple(e.value for e in self.entries if e.letter == letter)

    @cached_property  # Linux 6.1's 3,000 sections are each asked about every touched file
    def _patterns(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        return self.values("X"), self.values("F"), self.values("N")

    def covers(self, path: str) -> bool:
        excluded, files, regexes = self._patterns
        taken = any(_pattern_matches(path, p) for p in files) or any(
            _regex_matches(path, r) for r in regexes
        )
        return taken and not any(_pattern_matches(path, p) for p in excluded)


@dataclass(frozen=True)
class FileSections:
    file: str
    sections: tuple[Section, ...]  # in the order MAINTAINERS lists them


def parse_maintainers(text: str) -> tuple[Section, ...]:
    """Blocks of lines between blank lines; a block with `X:` entries is a section, its
    first line (when not an entry) the title. The prose above the list has none."""
    sections: list[Section] = []
    for block in _blocks(text.split("\n")):
        entries = tuple(Entry(line[0], line[2:].strip()) for line in block if _is_entry(line))
        if entries:
            title = block[0].strip() if not _is_entry(block[0]) else ""
            sections.append(Section(title, entries))
    return tuple(sections)


def _is_entry(line: str) -> bool:
    """`L:` and its value: an upper-case ASCII letter and a colon (no regex: 20,000 lines)."""
    return line[1:2] == ":" and "A" <= line[0] <= "Z"


def _blocks(lines: Iterable[str]) -> Iterator[list[str]]:
    block: list[str] = []
    for line in lines:
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _pattern_matches(path: str, pattern: str) -> bool:
    if "*" not in pattern and "?" not in pattern:  # most of them: no regex to compile
        # a bare directory takes what lies below it, like a trailing `/`
        return path == pattern or path.startswith(pattern.rstrip("/") + "/")
    if not path.startswith(_WILDCARD.split(pattern, maxsplit=1)[0]):
        return False  # the text before the first wildcard must begin the path
    if pattern.endswith("/"):
        return _glob(pattern).match(path) is not None
    return _glob(pattern).fullmatch(path) is not None and path.count("/") == pattern.count("/")


@cache  # a real MAINTAINERS holds some 20,000 patterns, each tried for every touched file
def _glob(pattern: str) -> re.Pattern[str]:
    """The regex of a MAINTAINERS glob; `*` crosses `/` as get_maintainer.pl's does."""
    parts = re.split(r"([*?])", pattern)
    return re.compile("".join({"*": ".*", "?": "."}.get(p, re.escape(p)) for p in parts))


def _regex_matches(path: str, regex: str) -> bool:
    if _PLAIN.fullmatch(regex):  # most are a plain name: no regex to compile
        return regex in path
    try:
        return re.search(regex, path, re.VERBOSE) is not None
    except re.error:
        return False  # a Perl-only construct; the section is not taken on it


def _top(path: str) -> str:
    return path.split("/", 1)[0]


class SectionsByTop:
    """The sections that may cover a path, found without trying each one: a plain `F:`
    pattern (most of them) takes only the path it names and what lies below, so it is
    looked up by each of the path's leading parts; a glob only paths with the first
    component it starts with (every path when the wildcard is in it); an `N:` regex any."""

    def __init__(self, sections: tuple[Section, ...]) -> None:
        self.sections = sections
        self.anywhere: set[int] = set()
        self.by_top: dict[str, list[int]] = {}  # sections with globs, by their first component
        self.by_place: dict[str, list[int]] = {}  # by a plain pattern, without its last '/'
        for number, section in enumerate(sections):
            if section.values("N"):
                self.anywhere.add(number)
            for pattern in section.values("F"):
                if not _WILDCARD.search(pattern):
                    self.by_place.setdefault(pattern.rstrip("/"), []).append(number)
                elif _WILDCARD.search(_top(pattern)):
                    self.anywhere.add(number)
                else:
                    self.by_top.setdefault(_top(pattern), []).append(number)

    def near(self, path: str) -> list[Section]:
        """The sections that may cover `path`, in MAINTAINERS order."""
        numbers = {*self.anywhere, *self.by_top.get(_top(path), ())}
        parts = path.split("/")
        for end in range(1, len(parts) + 1):
            numbers.update(self.by_place.get("/".join(parts[:end]), ()))
        return [self.sections[number] for number in sorted(numbers)]


def maintainers_facts(
    series: Series, tree: Tree
) -> tuple[tuple[FileSections, ...], tuple[Finding, ...]]:
    """Sections per touched file, and a finding for each (patch, section) whose maintainers
    (M:) or lists (L:) none of the series' mails reached (recipients, senders, authors):
    one section left out is one thing for the author to fix, however many people it names."""
    text = tree.read("MAINTAINERS")
    if text is None:
        return (), ()
    sections = parse_maintainers(text)
    tops = SectionsByTop(sections)
    reached = _reached(series)
    files: list[FileSections] = []
    by_patch: dict[int, list[FileSections]] = {}
    for path, patch in _touched(series).items():
        covered = FileSections(path, tuple(s for s in tops.near(path) if s.covers(path)))
        files.append(covered)
        by_patch.setdefault(patch, []).append(covered)
    findings = [
        finding
        for patch, touched in sorted(by_patch.items())
        for finding in _missing(patch, touched, sections, reached)
    ]
    return tuple(files), tuple(findings)


def _touched(series: Series) -> dict[str, int]:
    """Each path the series touches, with the first patch touching it."""
    first: dict[str, int] = {}
    for patch in series.patches:
        for diff in patch.files:
            for path in (diff.old_path, diff.path):
                first.setdefault(path, patch.number)
    return dict(sorted(first.items()))


def _reached(series: Series) -> set[str]:
    people = [p for patch in series.patches for p in patch.recipients]
    people += [p for patch in series.patches for p in (patch.sender, patch.author)]
    if series.cover is not None:
        people += [*series.cover.recipients, series.cover.author]
    return {person.email.lower() for person in people}


# The catch-all section every file falls under; like get_maintainer.pl (without
# --git-chief-penguins), its maintainer is not someone each patch must Cc, its list is.
_CATCH_ALL = "THE REST"


def _missing(
    patch: int,
    touched: list[FileSections],
    sections: tuple[Section, ...],
    reached: set[str],
) -> Iterator[Finding]:
    """One finding per section covering the patch's files that the mails left out, in
    MAINTAINERS order; an address two sections share is named under the first."""
    seen = set(reached)
    covering = {id(s) for f in touched for s in f.sections}  # a few of some 3,000
    for section in sections:
        if id(section) not in covering:
            continue
        paths = [f.file for f in touched if section in f.sections]
        left_out: list[tuple[str, str, str]] = []  # (role, address, the entry)
        for entry in section.entries:
            found = _ADDRESS.search(entry.value) if entry.letter in _ROLES else None
            if found is None or found.group().lower() in seen:
                continue
            if section.title == _CATCH_ALL and entry.letter == "M":
                continue
            seen.add(found.group().lower())
            left_out.append((_ROLES[entry.letter], found.group(), f"{entry.letter}: {entry.value}"))
        if left_out:
            yield _finding(patch, section.title, paths, left_out)


def _finding(
    patch: int, title: str, paths: list[str], left_out: list[tuple[str, str, str]]
) -> Finding:
    by_role = {role: [a for r, a, _ in left_out if r == role] for role in _ROLES.values()}
    who = "; ".join(
        f"{role}{'s' if len(found) > 1 else ''} {', '.join(found)}"
        for role, found in by_role.items()
        if found
    )
    more = len(paths) - 1
    where = f"{paths[0]} and {more} more file{'s' if more > 1 else ''}" if more else paths[0]
    return Finding(
        rule="maintainers-not-cc",
        severity="warning",
        message=f'"{title}" covers {where}; not among the series\' recipients: {who}',
        patch=patch,
        file=paths[0],
        entity=title,
        evidence=(*(f"{title}: {entry}" for _, _, entry in left_out), *paths),
    )
