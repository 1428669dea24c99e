"""An archive's mails grouped into threads, and each thread into series (per version and sender).

Threads follow Message-Id, In-Reply-To and References. A mail outside any thread (it
answers none and none answers it) falls back on its subject: a reply joins the mail whose
base title and version it repeats; a numbered patch or cover joins the other unthreaded ones
of the same SOURCE, sender, version and N/M total (what `git send-email --no-thread`
sends). Two unthreaded series alike in all four cannot be told apart and become one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from patchscope.ingest.mail import DIFF_START, Mail
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
    found = [s for ids in threads.values() for s in _by_version(ids, mails, subjects)]
    return sorted(found, key=lambda s: s.key)


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


# A series within a thread: its version and its sender (a reviewer's "[PATCH] instead" sent
# into the thread is a series of its own).
Identity = tuple[int, str]


def _identity(mail: Mail, subject: Subject) -> Identity:
    return subject.version, mail.sender.email.lower()


def _by_version(
    ids: list[str], mails: dict[str, Sourced], subjects: dict[str, Subject]
) -> list[SeriesMails]:
    """The thread's patch mails split by version and sender; each reply goes with the series
    it answers."""
    patches = [mid for mid in ids if is_patch_mail(mails[mid].mail, subjects[mid])]
    if not patches:
        return []  # a discussion without a patch is no series
    identities = sorted({_identity(mails[mid].mail, subjects[mid]) for mid in patches})
    members: dict[Identity, list[str]] = defaultdict(list)
    for mid in ids:
        members[_answered(mid, mails, subjects, identities)].append(mid)
    return [_series(members[i], i, mails, subjects) for i in identities]


def _answered(
    mid: str, mails: dict[str, Sourced], subjects: dict[str, Subject], identities: list[Identity]
) -> Identity:
    """A patch's own series; a reply's is the one of the nearest patch mail it answers, else
    the first of the version its subject names, else the thread's first."""
    seen: set[str] = set()
    current: str | None = mid
    while current is not None and current in mails and current not in seen:
        seen.add(current)
        mail, subject = mails[current].mail, subjects[current]
        if is_patch_mail(mail, subject):
            return _identity(mail, subject)
        current = mail.in_reply_to or (mail.references[-1] if mail.references else None)
    own = subjects[mid].version
    return next((i for i in identities if i[0] == own), identities[0])


def _series(
    ids: list[str], identity: Identity, mails: dict[str, Sourced], subjects: dict[str, Subject]
) -> SeriesMails:
    leads = [
        mid
        for mid in ids
        if is_patch_mail(mails[mid].mail, subjects[mid])
        and _identity(mails[mid].mail, subjects[mid]) == identity
    ]
    # the cover (0/N) leads, else the lowest N; an unnumbered patch is 1/1
    lead = min(leads, key=lambda mid: _number(subjects[mid]))
    return SeriesMails(
        key=lead,
        source=mails[lead].source,
        title=subjects[lead].title,
        version=identity[0],
        mails=tuple(mails[mid].mail for mid in ids),
    )


def _number(subject: Subject) -> int:
    return 1 if subject.number is None else subject.number
