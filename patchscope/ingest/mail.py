"""Mail decoding: mboxrd splitting and one decoded, text-only view of each message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Mail:
    """One message, decoded: headers as text, body as LF-terminated text.

    `body` holds the text/plain part; a patch sent as an attachment (text/x-patch,
    text/x-diff, or any part whose text starts a diff) is appended to it, so later
    stages never see MIME.
    """

    message_id: str  # without angle brackets
    in_reply_to: str | None  # without angle brackets
    references: tuple[str, ...]
    sender: Person  # the From: header
    subject: str  # decoded (RFC 2047) and unfolded
    date: str  # ISO 8601 in UTC, "" when missing or unreadable
    to: tuple[Person, ...]
    cc: tuple[Person, ...]
    body: str
    origin: str  # where it was read: "path" or "path#index" for an mbox


def read_mbox(data: bytes, origin: str) -> list[Mail]:
    """Split an mbox/mboxrd file and decode every message, undoing the >From escaping."""
    raise NotImplementedError


def parse_mail(raw: bytes, origin: str) -> Mail:
    """Decode one RFC 5322 message (a .patch/.eml file or one message of an mbox)."""
    raise NotImplementedError
