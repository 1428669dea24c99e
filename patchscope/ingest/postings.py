"""Postings: the mails one sending of a series put on the list, a cover and its patches.

A thread can hold several postings: a new version sent in reply to the old one, or the same
version sent again without a bump. Like patchwork, each is kept apart; `stat` then picks one
and `batch` analyses each. Written by hand: no library splits a thread into postings.

A patch joins the posting of the nearest cover or patch it answers (by In-Reply-To, else
References) when it does not repeat a number already there: a numbered patch threaded to a
cover belongs to it, whatever version its own subject gives; an unnumbered diff answering a
cover is an extra patch of it when the cover's sender sent it (from anyone else it is an
alternative, a series of its own); a patch answering a patch must have the same version and
a higher N (a deep-threaded series). A patch that answers none
joins the other unthreaded ones of its sender, version and N/M total (`git send-email
--no-thread`), again unless its N is already there. A cover always starts a posting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from patchscope.ingest.mail import Mail
from patchscope.ingest.subject import Subject


@dataclass(frozen=True)
class Sent:
    """A cover or a patch mail, with its parsed subject."""

    mail: Mail
    subject: Subject

    @property
    def is_cover(self) -> bool:
        return self.subject.number == 0

    @property
    def sender(self) -> str:
        return self.mail.sender.email.lower()


@dataclass(frozen=True)
class Posting:
    """One posting of a series in an archive: a cover and patches sent together."""

    lead: Sent  # the cover, else the lowest-numbered patch (the first sent of equals)
    version: int  # the cover's when there is one
    members: tuple[Sent, ...]  # the cover and the patches, in archive order
    extras: tuple[str, ...]  # message-ids of unnumbered diffs answering the cover
    position: int  # the lead's place in the archive

    @property
    def key(self) -> str:
        return self.lead.mail.message_id

    @property
    def numbered(self) -> tuple[Sent, ...]:
        """The patches but the extras: the ones N/M counts."""
        extras = set(self.extras)
        return tuple(m for m in self.members if not m.is_cover and m.mail.message_id not in extras)


def series_identity(posting: Posting) -> tuple[str, int, str]:
    """What two postings of one series share: the sender, the version and the title."""
    title = " ".join(posting.lead.subject.title.lower().split())
    return posting.lead.sender, posting.version, title


def same_series(a: Posting, b: Posting) -> bool:
    return series_identity(a) == series_identity(b)


def latest_posting(postings: Sequence[Posting]) -> Posting:
    """The last sent: by Date: when every posting has one (ISO 8601 in UTC sorts as text), by
    archive order where one is missing or unreadable and between equal dates."""
    dated = all(p.lead.mail.date for p in postings)
    return max(postings, key=lambda p: (p.lead.mail.date if dated else "", p.position))


class _Growing:
    """A posting while its members are gathered (a plain class: dataclass would compile its
    __init__ from source on every start-up, and nothing compares or prints it)."""

    def __init__(self, index: int) -> None:
        self.members: list[tuple[int, Sent]] = []  # (archive position, mail)
        self.numbers: set[int] = set()  # 0 once it has a cover
        self.extras: list[str] = []
        self.index = index

    def takes(self, item: Sent) -> bool:
        """Whether the mail's N (0 for a cover) is still free here."""
        return _number(item) not in self.numbers


def find_postings(sent: Sequence[Sent], every: Mapping[str, Mail]) -> list[Posting]:
    """The postings among `sent` (in archive order; a repeated id counts once), in archive
    order of their leads; `every` holds all mails of the archive, so that a patch answering a
    reply still finds the cover above it."""
    by_id: dict[str, Sent] = {}
    for item in sent:
        by_id.setdefault(item.mail.message_id, item)
    position = {mid: n for n, mid in enumerate(by_id)}
    parents = {mid: nearest_above(item.mail, by_id.keys(), every) for mid, item in by_id.items()}
    depth = {mid: _depth(mid, parents) for mid in parents}
    growing: list[_Growing] = []
    where: dict[str, int] = {}
    unthreaded: dict[tuple[str, int, int | None], int] = {}
    # parents first, so that a series received out of order still finds its cover
    for mid in sorted(parents, key=lambda m: (depth[m], position[m])):
        item, parent = by_id[mid], parents[mid]
        group = (item.sender, item.subject.version, item.subject.total)
        if parent is not None and parent in where:  # else none, or a loop of answers
            at = _threaded(item, by_id[parent], growing[where[parent]])
            extra = at is not None and by_id[parent].is_cover
        else:
            at = unthreaded.get(group)
            at = at if at is not None and growing[at].takes(item) else None
            extra = False
        if at is None:
            at = len(growing)
            growing.append(_Growing(at))
            if parent is None:
                unthreaded[group] = at
        where[mid] = at
        _add(growing[at], item, position[mid], extra=extra)
    return sorted((_posting(g, position) for g in growing), key=lambda p: p.position)


def nearest_above(mail: Mail, ids: Set[str], every: Mapping[str, Mail]) -> str | None:
    """The nearest of `ids` above the mail (a cover or patch): up its In-Reply-To chain
    through the mails in `every`, else the last of its References that is one of them."""
    seen = {mail.message_id}
    up = mail.in_reply_to
    while up is not None and up not in seen:
        if up in ids:
            return up
        seen.add(up)
        above = every.get(up)
        up = above.in_reply_to if above else None
    return next((ref for ref in reversed(mail.references) if ref in ids and ref not in seen), None)


def _depth(mid: str, parents: Mapping[str, str | None]) -> int:
    """How many covers and patches are above the mail (a loop counts once round)."""
    seen = {mid}
    up = parents[mid]
    while up is not None and up not in seen:
        seen.add(up)
        up = parents[up]
    return len(seen) - 1


def _number(item: Sent) -> int:
    return 1 if item.subject.number is None else item.subject.number


def _threaded(item: Sent, parent: Sent, posting: _Growing) -> int | None:
    """The posting the patch joins through the mail it answers; None: it starts its own."""
    if parent.is_cover:
        # unnumbered: the sender's own extra, or a reviewer's alternative (a series of its own)
        unnumbered = item.subject.number is None
        joins = item.sender == parent.sender if unnumbered else posting.takes(item)
    else:
        joins = (
            item.subject.version == parent.subject.version
            and item.subject.number is not None
            and item.subject.number > _number(parent)
            and posting.takes(item)
        )
    return posting.index if joins else None


def _add(posting: _Growing, item: Sent, position: int, *, extra: bool) -> None:
    posting.members.append((position, item))
    if extra and item.subject.number is None:
        posting.extras.append(item.mail.message_id)
    else:
        posting.numbers.add(_number(item))


def _posting(grown: _Growing, position: Mapping[str, int]) -> Posting:
    members = [item for _, item in sorted(grown.members, key=lambda pair: pair[0])]
    extras = set(grown.extras)
    numbered = [m for m in members if m.mail.message_id not in extras] or members
    lead = min(numbered, key=_number)  # min keeps the first of equals: the first sent
    return Posting(
        lead,
        lead.subject.version,
        tuple(members),
        tuple(m.mail.message_id for m in members if m.mail.message_id in extras),
        position[lead.mail.message_id],
    )
