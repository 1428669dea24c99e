"""Series assembly: cover letter, patches in order, replies tied to what they answer."""

from __future__ import annotations

from dataclasses import dataclass

from patchscope.diff.model import Diffstat, FileDiff
from patchscope.findings import Finding
from patchscope.ingest.mail import Person
from patchscope.ingest.subject import Subject
from patchscope.ingest.trailers import CommitRef, Trailer


@dataclass(frozen=True)
class GivenTrailer:
    """A trailer and the message it came from (the patch itself or a reply)."""

    trailer: Trailer
    from_message_id: str


@dataclass(frozen=True)
class Patch:
    """One patch of a series: who sent it, its message and trailers, its diff and diffstats."""

    number: int
    total: int
    subject: Subject
    author: Person  # the in-body From: when present, else the sender
    sender: Person
    recipients: tuple[Person, ...]  # To and Cc, in order
    message_id: str
    date: str
    message: str  # the commit message as git am keeps it
    signed_off_by: tuple[Person, ...]
    trailers: tuple[GivenTrailer, ...]  # the patch's own (but Signed-off-by) and replies'
    commit_refs: tuple[CommitRef, ...]
    files: tuple[FileDiff, ...]
    claimed: Diffstat | None
    computed: Diffstat
    malformed: bool


@dataclass(frozen=True)
class Cover:
    """The cover letter (patch 0/M) of a series."""

    message_id: str
    subject: Subject
    author: Person
    recipients: tuple[Person, ...]
    date: str
    body: str
    claimed: Diffstat | None
    commit_refs: tuple[CommitRef, ...]


@dataclass(frozen=True)
class QuoteLocation:
    """Where a block of '> ' lines in a reply stands in the patch it answers."""

    patch: int
    file: str
    line: int  # post-image line of the first quoted diff line (pre-image for a removed one)


@dataclass(frozen=True)
class Reply:
    """A mail answering the series: who, to which patch, the trailers it gives."""

    message_id: str
    author: Person
    in_reply_to: str | None
    date: str
    subject: str
    answers: int | None  # the patch number it answers, 0 for the cover letter
    trailers: tuple[Trailer, ...]
    quoted: tuple[QuoteLocation, ...]


@dataclass(frozen=True)
class Series:
    """A series assembled from its mails: cover, patches in order, replies, findings."""

    name: str
    title: str
    version: int
    rfc: bool
    prefixes: tuple[str, ...]
    message_id: str | None  # the cover letter's, else the first patch's
    cover: Cover | None
    patches: tuple[Patch, ...]
    replies: tuple[Reply, ...]
    findings: tuple[Finding, ...]
