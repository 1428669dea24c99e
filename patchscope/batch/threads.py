"""An archive's mails grouped into threads, and each thread into postings, one series each.

Threads follow Message-Id, In-Reply-To and References. A mail outside any thread (it
answers none and none answers it) falls back on its subject: a reply joins the mail whose
base title and version it repeats; a numbered patch or cover joins the other unthreaded ones
of the same SOURCE, sender, version and N/M total (what `git send-email --no-thread`
sends). A thread splits into postings as ingest.postings says (a version, or the same
version sent again, each apart); the postings of one series (same sender, version and
title) name each other as reposts, as patchwork keeps and links them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from patchscope.ingest.mail import DIFF_START, Mail
from patchscope.ingest.postings import Posting, Sent, find_postings, series_identity
from patchscope.ingest.subject import Subject, parse_subject


@dataclass(frozen=True)
class Sourced:
    """A mail, the file it was read from and the SOURCE argument that named the file."""

    source: str
    given: str
    mail: Mail


@dataclass(frozen=True)
class SeriesMails:
    """One version of one thread: its patches and cover, and the replies that answer them."""

    key: str  # the lead mail's message-id: the cover's, else the lowest-numbered patch's
    source: str
    title: str
    version: int
    mails: tuple[Mail, ...]  # in archive order
    reposts: tuple[str, ...] = ()  # keys of the other postings of the same series


class _Union:
    """Union-find over message-ids; the smaller id names a set, so the result is stable."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:  # path compression: every id on the way now points at the root
            self.parent[item], item = root, self.parent[item]
        return root

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def is_patch_mail(mail: Mail, subject: Subject) -> bool:
    """What assemble takes for a patch or a cover: not a reply, and a PATCH prefix or a diff."""
    return not subject.is_reply and (subject.is_patch or DIFF_START.search(mail.body) is not None)


def group_series(sourced: Sequence[Sourced]) -> list[SeriesMails]:
    """Every series of the archive; a mail seen twice (same id) counts once, first seen first."""
    mails: dict[str, Sourced] = {}
    for item in sourced:
        mails.setdefault(item.mail.message_id, item)
    subjects = {mid: parse_subject(item.mail.subject) for mid, item in mails.items()}
    union = _thread(mails, subjects)
    threads: dict[str, list[str]] = defaultdict(list)
    for mid in mails:
        threads[union.find(mid)].append(mid)
    found = [s for ids in threads.values() for s in _by_posting(ids, mails, subjects)]
    return sorted(_linked(found), key=lambda s: s.key)


def _thread(mails: dict[str, Sourced], subjects: dict[str, Subject]) -> _Union:
    union = _Union()
    unthreaded: dict[tuple[str, str, int, int], str] = {}
    titled: dict[tuple[str, int], str] = {}
    for mid, subject in subjects.items():
        if not subject.is_reply:
            titled.setdefault((subject.title, subject.version), mid)
    answered = {i for item in mails.values() for i in _links(item.mail)}
    for mid, item in mails.items():
        mail, subject = item.mail, subjects[mid]
        union.find(mid)
        for other in _links(mail):
            union.join(mid, other)
        if _links(mail) or mid in answered:
            continue
        if subject.is_reply and (subject.title, subject.version) in titled:
            union.join(mid, titled[(subject.title, subject.version)])
        elif subject.total is not None and is_patch_mail(mail, subject):
            group = (item.given, mail.sender.email.lower(), subject.version, subject.total)
            union.join(mid, unthreaded.setdefault(group, mid))
    return union


def _links(mail: Mail) -> list[str]:
    return [i for i in (mail.in_reply_to, *mail.references) if i]


def _by_posting(
    ids: list[str], mails: dict[str, Sourced], subjects: dict[str, Subject]
) -> list[tuple[Posting, SeriesMails]]:
    """The thread's postings (ingest.postings); each reply goes with the posting it answers."""
    sent = [
        Sent(mails[m].mail, subjects[m]) for m in ids if is_patch_mail(mails[m].mail, subjects[m])
    ]
    if not sent:
        return []  # a discussion without a patch is no series
    postings = find_postings(sent, {mid: mails[mid].mail for mid in ids})
    owner = {s.mail.message_id: n for n, p in enumerate(postings) for s in p.members}
    members: dict[int, list[str]] = defaultdict(list)
    for mid in ids:
        members[_answered(mid, mails, subjects, owner, postings)].append(mid)
    return [
        (
            p,
            SeriesMails(
                key=p.key,
                source=mails[p.key].source,
                title=p.lead.subject.title,
                version=p.version,
                mails=tuple(mails[mid].mail for mid in members[n]),
            ),
        )
        for n, p in enumerate(postings)
    ]


def _answered(
    mid: str,
    mails: dict[str, Sourced],
    subjects: dict[str, Subject],
    owner: dict[str, int],
    postings: list[Posting],
) -> int:
    """A patch's own posting; a reply's is the one of the nearest patch mail it answers, else
    the first of the version its subject names, else the thread's first."""
    seen: set[str] = set()
    current: str | None = mid
    while current is not None and current in mails and current not in seen:
        seen.add(current)
        if current in owner:
            return owner[current]
        mail = mails[current].mail
        current = mail.in_reply_to or (mail.references[-1] if mail.references else None)
    own = subjects[mid].version
    return next((n for n, p in enumerate(postings) if p.version == own), 0)


def _linked(found: list[tuple[Posting, SeriesMails]]) -> list[SeriesMails]:
    """Each series with the keys of the other postings of it (series_identity)."""
    keys: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    for posting, series in found:
        keys[series_identity(posting)].append(series.key)
    return [
        replace(s, reposts=tuple(sorted(k for k in keys[series_identity(p)] if k != s.key)))
        for p, s in found
    ]
