"""Commit-message structure: in-body From:, trailers, Signed-off-by chain, quoted commit ids.

Written by hand: no maintained library cuts a patch mail the way `git am` does or reads
kernel trailers; the rules below follow git's documented behaviour (git-am, git-mailinfo,
git-interpret-trailers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from patchscope.ingest.mail import DIFF_START, Person, parse_person


@dataclass(frozen=True)
class Trailer:
    """One `Name-by: value` trailer line of a message."""

    name: str  # canonical spelling: "Signed-off-by", "Tested-by", "Reviewed-by", ...
    value: str  # as written, trimmed
    person: Person | None  # parsed from value when it is "Name <mail>"


@dataclass(frozen=True)
class CommitRef:
    """A commit a message quotes as `31bc3858ea3e ("title")`."""

    sha: str  # as quoted, lower case, 12+ hex digits
    title: str  # the quoted title inside ("...")


@dataclass(frozen=True)
class BodyParts:
    """A patch mail's body cut where `git am` cuts it."""

    in_body_from: Person | None  # a From: line at the top of the body
    message: str  # the commit message (what git am keeps), without the in-body headers
    notes: str  # between the first '---' line and the diff: the diffstat and notes
    diff: str  # from the first 'diff --git' (or '--- a/' header) to the end, signature removed


_IN_BODY_HEADER = re.compile(r"(from|date|subject):\s*(.*)", re.IGNORECASE)
_HUNK = re.compile(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_SIGNATURE = "-- "
_TRAILER = re.compile(r"([A-Za-z][A-Za-z0-9-]*):[ \t]+(\S.*)")
_REPLY_TRAILER = re.compile(r"\s*([A-Za-z][A-Za-z0-9-]*-by):[ \t]+(\S.*)", re.IGNORECASE)
_COMMENT = re.compile(r"\s*\[.*\]\s*")
_NAME_ADDR = re.compile(r"\s*\"?([^\"<>]*?)\"?\s*<([^<>@\s]+@[^<>\s]+)>")
_KNOWN = re.compile(r".*-by", re.IGNORECASE)
_COMMIT_REF = re.compile(
    r"(?<![0-9A-Za-z])([0-9a-fA-F]{12,40})(?![0-9A-Za-z])\s*\(\s*\"((?:(?!\n\s*\n).)*?)\"\s*\)",
    re.DOTALL,
)


def split_body(body: str) -> BodyParts:
    """Cut a body into in-body From:, commit message, notes and diff, as `git am` reads it.

    The message ends at the first '---' line (trailing blanks allowed, as git allows them),
    at the diff, or at a '-- ' signature when the mail has neither (a cover letter).
    """
    lines = body.split("\n")
    start, in_body_from = _in_body_headers(lines)
    diff_at = _diff_start(body, lines, start)
    message_end = _first(lines, start, diff_at, _ends_message)
    notes = ""
    if message_end < diff_at and _is_separator(lines[message_end]):
        notes_end = _first(lines, message_end, diff_at, _is_signature)
        notes = _text(lines[message_end + 1 : notes_end])
    diff_lines = lines[diff_at : _diff_end(lines, diff_at)]
    return BodyParts(
        in_body_from=in_body_from,
        message=_text(lines[start:message_end]),
        notes=notes,
        diff="\n".join(diff_lines) + "\n" if diff_lines else "",
    )


def _in_body_headers(lines: list[str]) -> tuple[int, Person | None]:
    """Where the message starts after in-body From:/Date:/Subject: lines, and the From: person.

    The headers count only when they open the body and a blank line (or the end) follows.
    """
    index = _skip_blank(lines, 0)
    values: dict[str, str] = {}
    while index < len(lines) and (header := _IN_BODY_HEADER.fullmatch(lines[index])):
        value = header[2]
        index += 1
        while index < len(lines) and lines[index][:1] in (" ", "\t"):
            value += " " + lines[index].strip()
            index += 1
        values[header[1].lower()] = value
    if not values or (index < len(lines) and lines[index].strip()):
        return 0, None
    sender = values.get("from")
    return index, parse_person(sender) if sender else None


def _skip_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _diff_start(body: str, lines: list[str], start: int) -> int:
    """Index of the diff's first line ('diff -', a '--- '/'+++ ' pair, 'Index:'), else the end."""
    offset = sum(len(line) + 1 for line in lines[:start])
    found = DIFF_START.search(body, offset)
    return body.count("\n", 0, found.start()) if found else len(lines)


def _is_separator(line: str) -> bool:
    return line.rstrip() == "---"


def _is_signature(line: str) -> bool:
    return line == _SIGNATURE


def _ends_message(line: str) -> bool:
    return _is_separator(line) or _is_signature(line)


def _first(lines: list[str], start: int, end: int, wanted: Callable[[str], bool]) -> int:
    """Index of the first line in [start, end) that is `wanted`, else `end`."""
    return next((i for i in range(start, end) if wanted(lines[i])), end)


def _diff_end(lines: list[str], start: int) -> int:
    """Where the diff's content ends: before the '-- ' signature found outside any hunk.

    A hunk's lines are counted from its header, so a removed line reading '- ' (written
    '-- ') inside a hunk is kept; blank lines after the last content line are dropped.
    An empty line inside a hunk is blank context whose space a mailer stripped.
    """
    end = start
    old = new = 0
    for index in range(start, len(lines)):
        line = lines[index]
        if old > 0 or new > 0:
            marker = line[:1]
            if marker not in ("+", "\\"):
                old -= 1
            if marker not in ("-", "\\"):
                new -= 1
            end = index + 1
        elif line == _SIGNATURE:
            break
        elif hunk := _HUNK.match(line):
            old, new = _count(hunk[1]), _count(hunk[2])
            end = index + 1
        elif line.strip():
            end = index + 1
    return end


def _count(group: str | None) -> int:
    return 1 if group is None else int(group)


def _text(lines: list[str]) -> str:
    """Lines joined with LF, leading and trailing blank lines removed, ending in LF."""
    begin = _skip_blank(lines, 0)
    end = len(lines)
    while end > begin and not lines[end - 1].strip():
        end -= 1
    return "".join(line + "\n" for line in lines[begin:end])


def parse_trailers(message: str) -> tuple[Trailer, ...]:
    """The trailer block of a commit message (its last paragraph of Key: value lines).

    As git interpret-trailers decides: the paragraph is a trailer block when all its lines
    are trailers, or when a quarter are and one is a '...-by' trailer; '[comment]' lines and
    indented continuation lines are allowed inside it.
    """
    paragraph = re.split(r"\n\s*\n", message.strip())[-1].split("\n")
    trailers: list[Trailer] = []
    other = 0
    for line in paragraph:
        if line[:1] in (" ", "\t") and trailers:
            last = trailers.pop()
            trailers.append(_trailer(last.name, f"{last.value} {line.strip()}"))
        elif match := _TRAILER.fullmatch(line):
            trailers.append(_trailer(match[1], match[2]))
        elif not _COMMENT.fullmatch(line):
            other += 1
    known = any(_KNOWN.fullmatch(trailer.name) for trailer in trailers)
    if not trailers or (other and not (known and len(trailers) * 3 >= other)):
        return ()
    return tuple(trailers)


def _trailer(name: str, value: str) -> Trailer:
    value = value.strip()
    address = _NAME_ADDR.match(value)
    person = Person(address[1].strip(), address[2]) if address else None
    return Trailer(canonical_name(name), value, person)


def canonical_name(name: str) -> str:
    """Trailer names as the kernel spells them: first letter upper, the rest lower case."""
    return name[:1].upper() + name[1:].lower()


def reply_trailers(body: str) -> tuple[Trailer, ...]:
    """Trailers a reviewer gives in a reply: unquoted Key-by: lines anywhere in the body."""
    trailers = []
    for line in body.split("\n"):
        if line == _SIGNATURE:
            break
        # The pattern wants a letter first, so quoted '>' lines never match.
        if match := _REPLY_TRAILER.fullmatch(line):
            trailers.append(_trailer(match[1], match[2]))
    return tuple(trailers)


def commit_refs(text: str) -> tuple[CommitRef, ...]:
    """Commit ids quoted as 31bc3858ea3e ("title"), titles possibly wrapped over lines."""
    refs = (
        CommitRef(match[1].lower(), " ".join(match[2].split()))
        for match in _COMMIT_REF.finditer(text)
    )
    return tuple(dict.fromkeys(refs))
