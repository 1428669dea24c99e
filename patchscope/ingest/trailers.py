"""Commit-message structure: in-body From:, trailers, Signed-off-by chain, quoted commit ids."""

from __future__ import annotations

from dataclasses import dataclass

from patchscope.ingest.mail import Person


@dataclass(frozen=True)
class Trailer:
    name: str  # canonical spelling: "Signed-off-by", "Tested-by", "Reviewed-by", ...
    value: str  # as written, trimmed
    person: Person | None  # parsed from value when it is "Name <mail>"


@dataclass(frozen=True)
class CommitRef:
    sha: str  # as quoted, lower case, 12+ hex digits
    title: str  # the quoted title inside ("...")


@dataclass(frozen=True)
class BodyParts:
    """A patch mail's body cut where `git am` cuts it."""

    in_body_from: Person | None  # a From: line at the top of the body
    message: str  # the commit message (what git am keeps), without the in-body headers
    notes: str  # between the first '---' line and the diff: the diffstat and notes
    diff: str  # from the first 'diff --git' (or '--- a/' header) to the end, signature removed


def split_body(body: str) -> BodyParts:
    raise NotImplementedError


def parse_trailers(message: str) -> tuple[Trailer, ...]:
    """The trailer block of a commit message (its last paragraph of Key: value lines)."""
    raise NotImplementedError


def reply_trailers(body: str) -> tuple[Trailer, ...]:
    """Trailers a reviewer gives in a reply: unquoted Key-by: lines anywhere in the body."""
    raise NotImplementedError


def commit_refs(text: str) -> tuple[CommitRef, ...]:
    """Commit ids quoted as 31bc3858ea3e ("title"), titles possibly wrapped over lines."""
    raise NotImplementedError
