"""Subject lines: [RFC PATCH v2 3/4], [PATCH net-next v3 01/12], [PATCH 1 of 2], RESEND, Re:."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    """A mail's subject line taken apart: bracketed prefixes, version, N/M and title."""

    raw: str
    title: str  # without the bracketed prefixes and without Re:/Fwd:
    prefixes: tuple[str, ...]  # the bracket's words but N/M, e.g. ("RFC", "PATCH", "v2")
    version: int  # 1 when no vN is given
    rfc: bool
    resend: bool
    number: int | None  # N of N/M
    total: int | None  # M of N/M
    is_reply: bool  # Re: (any case, any count)
    is_patch: bool  # a PATCH (or RFC) prefix is present
    # bracket words whose number no count can hold (past a signed 64-bit integer, the widest
    # the batch database stores): read as if the number were not given
    unreadable: tuple[str, ...] = ()


# Written by hand: no library parses kernel subject prefixes. The subject is eaten from the
# left, one "Re:"/"Fwd:" marker or one [bracket] group at a time, until the title starts.
_REPLY = re.compile(r"(re|aw)\s*:\s*", re.IGNORECASE)
_FORWARD = re.compile(r"(fwd?)\s*:\s*", re.IGNORECASE)
_BRACKET = re.compile(r"\[([^\[\]]*)\]\s*")
_VERSION = re.compile(r"(?:patch|rfc)?-?v(\d+)", re.IGNORECASE)
_NUMBERING = re.compile(r"(\d+)/(\d+)")
# Mercurial's patchbomb writes N/M as "N of M": made N/M before the words are read.
_HG_NUMBERING = re.compile(r"(\d+) +of +(\d+)", re.IGNORECASE)
LARGEST_COUNT = (1 << 63) - 1
_PATCH_WORD = re.compile(r"(patch|rfc)(-?v\d+)?", re.IGNORECASE)
_RFC_WORD = re.compile(r"rfc(-?v\d+)?", re.IGNORECASE)
_RESEND_WORD = re.compile(r"resend", re.IGNORECASE)


class _Prefix:
    """What the bracket words said so far, while the subject is being read (a plain class:
    dataclass would compile its __init__ from source on every start-up, and nothing
    compares or prints it)."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.version = 1
        self.number: int | None = None
        self.total: int | None = None
        self.unreadable: list[str] = []

    def add(self, word: str) -> None:
        numbering = _NUMBERING.fullmatch(word)
        if numbering:
            number, total = _count(numbering[1]), _count(numbering[2])
            if number is None or total is None:
                self.unreadable.append(word)
            else:
                self.number, self.total = number, total
            return
        version = _VERSION.fullmatch(word)
        if version:
            count = _count(version[1])
            if count is None:
                self.unreadable.append(word)
            else:
                self.version = count
        self.words.append(word)

    def has(self, pattern: re.Pattern[str]) -> bool:
        return any(pattern.fullmatch(word) for word in self.words)


def _count(digits: str) -> int | None:
    """The number, or None past the largest count (checked on the length first: int() refuses
    a string of more than 4300 digits)."""
    if len(digits) > len(str(LARGEST_COUNT)):
        return None
    value = int(digits)
    return value if value <= LARGEST_COUNT else None


def parse_subject(raw: str) -> Subject:
    """Split a subject into its prefix words, version, N/M and title, in any order and case."""
    rest = " ".join(raw.split())
    prefix = _Prefix()
    is_reply = False
    while True:
        if match := _REPLY.match(rest):
            is_reply = True
        elif not (match := _FORWARD.match(rest) or _BRACKET.match(rest)):
            break
        if match.re is _BRACKET:
            for word in _HG_NUMBERING.sub(r"\1/\2", match[1]).split():
                prefix.add(word)
        rest = rest[match.end() :]
    return Subject(
        raw=raw,
        title=rest,
        prefixes=tuple(prefix.words),
        version=prefix.version,
        rfc=prefix.has(_RFC_WORD),
        resend=prefix.has(_RESEND_WORD),
        number=prefix.number,
        total=prefix.total,
        is_reply=is_reply,
        is_patch=prefix.has(_PATCH_WORD),
        unreadable=tuple(prefix.unreadable),
    )
