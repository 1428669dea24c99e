"""Turn a heap of mails into one Series: pick the version, order the patches, tie replies."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from patchscope import limits
from patchscope.diff.diffstat import compare, compute, parse_claimed
from patchscope.diff.parse import parse_diff
from patchscope.errors import NoPatchError
from patchscope.findings import Finding
from patchscope.ingest.mail import Mail, Person, Unreadable
from patchscope.ingest.postings import (
    Posting,
    Sent,
    find_postings,
    latest_posting,
    nearest_above,
    same_series,
)
from patchscope.ingest.quotes import locate_quotes
from patchscope.ingest.series import Cover, GivenTrailer, Patch, Reply, Series
from patchscope.ingest.signoff import signoff_findings
from patchscope.ingest.subject import LARGEST_COUNT, parse_subject
from patchscope.ingest.trailers import (
    BodyParts,
    commit_refs,
    parse_trailers,
    reply_trailers,
    split_body,
)

# What `git format-patch --cover-letter` leaves in a cover letter nobody edited.
GIT_COVER_PLACEHOLDER = "*** SUBJECT HERE ***"


@dataclass(frozen=True, eq=False)  # compared, if ever, as the Sent it extends
class _PatchMail(Sent):
    """A cover or patch mail with its body split as git am splits it."""

    parts: BodyParts


_NAMED = 10  # earlier postings a reposted finding names; more are counted


def assemble(mails: Sequence[Mail], *, source: str, name: str | None = None) -> Series:
    """Build the series a reviewer means from everything the source held."""
    findings = unreadable_findings(mails)
    sent, other_mails = _classify(mails)
    count = sum(not pm.is_cover for pm in sent)
    if not count:
        raise NoPatchError(f"no patch in {source}")
    limits.check(source, "the number of patch mails", count, "max_patches")
    by_id = {pm.mail.message_id: pm for pm in sent}
    every = {m.message_id: m for m in mails}
    postings = [p for p in find_postings(sent, every) if any(not s.is_cover for s in p.members)]
    posting = _choose(postings, findings)
    cover = _cover(by_id[posting.key]) if posting.lead.is_cover else None
    numbered = [by_id[s.mail.message_id] for s in posting.numbered]
    extras = [by_id[mid] for mid in posting.extras]
    ordered = _number(numbered, findings) + _after(numbered, extras, findings)
    patches = [_build_patch(pm, number, total, findings) for number, total, pm in ordered]
    replies = _replies(other_mails, cover, patches)
    patches = _attach_reply_trailers(patches, replies)
    lead = cover.subject if cover else patches[0].subject
    title = patches[0].subject.title if GIT_COVER_PLACEHOLDER in lead.title else lead.title
    date, sender = (cover.date, cover.author) if cover else (patches[0].date, patches[0].sender)
    return Series(
        name=name or b4_name(posting.version, date, sender, title),
        title=title,
        version=posting.version,
        rfc=lead.rfc,
        prefixes=lead.prefixes,
        message_id=cover.message_id if cover else patches[0].message_id,
        cover=cover,
        patches=tuple(patches),
        replies=tuple(replies),
        findings=tuple(findings),
    )


def unreadable_findings(mails: Sequence[Mail]) -> list[Finding]:
    """One info finding per header value the loader could not use, naming the message."""
    findings: list[Finding] = []
    for mail in mails:
        problems = [*mail.unreadable, *_subject_counts(mail)]
        findings.extend(
            Finding(
                rule="unreadable-header",
                severity="info",
                message=f"{u.header} of {mail.message_id}: {u.reason}",
            )
            for u in problems
        )
    return findings


def _subject_counts(mail: Mail) -> list[Unreadable]:
    return [
        Unreadable(
            "Subject", f"{word[:40]!r} holds a number past {LARGEST_COUNT}; read as not given"
        )
        for word in parse_subject(mail.subject).unreadable
    ]


def b4_name(version: int, date: str, sender: Person, title: str) -> str:
    """The name b4 gives a thread's files: v2_20190122_osalvador_<title slug>."""
    day = date[:10].replace("-", "") if date else "00000000"
    local = _slug(sender.email.split("@")[0])
    name = f"{day}_{local}_{_slug(title)}"[:100].rstrip("_")
    return f"v{version}_{name}" if version > 1 else name


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text.lower()).strip("_")


def _classify(mails: Sequence[Mail]) -> tuple[list[_PatchMail], list[Mail]]:
    """Patches carry a diff; a cover is 0/N without one; the rest are replies or chatter.
    Covers and patches come back together, in archive order."""
    sent: list[_PatchMail] = []
    others: list[Mail] = []
    for mail in mails:
        subject = parse_subject(mail.subject)
        if subject.is_reply:
            others.append(mail)
            continue
        parts = split_body(mail.body)
        # a numbered PATCH is a cover (0/N) or a patch, even one with no diff left
        if (parts.diff.strip() and subject.number != 0) or (
            subject.is_patch and subject.number is not None
        ):
            sent.append(_PatchMail(mail, subject, parts))
        else:
            others.append(mail)
    return sent, others


def _choose(postings: list[Posting], findings: list[Finding]) -> Posting:
    """The newest version that one posting holds complete, else the newest; of that version's
    postings of the series (the first one's sender and title), the latest sent."""
    by_version: dict[int, list[Posting]] = defaultdict(list)
    for posting in postings:
        by_version[posting.version].append(posting)
    versions = sorted(by_version, reverse=True)
    complete = [v for v in versions if any(not _missing(p.numbered) for p in by_version[v])]
    chosen = complete[0] if complete else versions[0]
    others = [v for v in versions if v != chosen]
    if others:
        counts = {v: sum(len(p.numbered) for p in by_version[v]) for v in others}
        ignored = ", ".join(f"v{v} ({counts[v]} patches)" for v in others)
        findings.append(
            Finding(
                rule="mixed-versions",
                severity="warning",
                message=f"mixed versions: analysing v{chosen}, ignoring {ignored}",
            )
        )
    first = by_version[chosen][0]
    same = [p for p in by_version[chosen] if same_series(p, first)]
    for p in by_version[chosen]:
        if not same_series(p, first):
            findings.append(
                Finding(
                    rule="other-series",
                    severity="info",
                    message=(
                        f"{p.key} from {p.lead.sender} is another series in this source "
                        "(another sender or title): not analysed"
                    ),
                )
            )
    latest = latest_posting(same)
    if len(same) > 1:
        findings.append(_reposted(latest, [p for p in same if p.key != latest.key]))
    return latest


def _reposted(latest: Posting, earlier: list[Posting]) -> Finding:
    named = ", ".join(p.key for p in earlier[:_NAMED])
    more = f" and {len(earlier) - _NAMED} more" if len(earlier) > _NAMED else ""
    when = f" of {latest.lead.mail.date}" if latest.lead.mail.date else ""
    return Finding(
        rule="reposted",
        severity="warning",
        message=(
            f"posted {len(earlier) + 1} times without a new version: analysing the latest, "
            f"{latest.key}{when}; not the others: {named}{more}"
        ),
    )


def _total(pms: Sequence[Sent]) -> int:
    return max((pm.subject.total or 1) for pm in pms)


def _missing(pms: Sequence[Sent]) -> list[tuple[int, int]]:
    """Runs (first, last) of the N/M no patch carries, found from the numbers present:
    a subject claiming 1/999999999999 must not cost a loop over every N."""
    if not pms:
        return []
    total = _total(pms)
    present = sorted({pm.subject.number or 1 for pm in pms} | {total + 1})
    runs: list[tuple[int, int]] = []
    expected = 1
    for number in present:
        if expected < number <= total + 1:
            runs.append((expected, number - 1))
        expected = max(expected, number + 1)
    return runs


def _number(chosen: list[_PatchMail], findings: list[Finding]) -> list[tuple[int, int, _PatchMail]]:
    """Patches in N order (a posting holds each N once); a missing N/M is a finding."""
    if not chosen:
        return []
    total = _total(chosen)
    missing = _missing(chosen)
    if missing:
        gaps = ", ".join(
            f"{first}/{total}" if first == last else f"{first}/{total} to {last}/{total}"
            for first, last in missing
        )
        findings.append(
            Finding(
                rule="incomplete-series",
                severity="error",
                message=f"incomplete series: {gaps} missing",
            )
        )
    by_number = {pm.subject.number or 1: pm for pm in chosen}
    return [(n, total, by_number[n]) for n in sorted(by_number)]


def _after(
    numbered: list[_PatchMail], extras: list[_PatchMail], findings: list[Finding]
) -> list[tuple[int, int, _PatchMail]]:
    """Unnumbered diffs answering the cover: patches after the numbered ones, in the order
    they were sent (patchwork counts such a mail as a patch too)."""
    last = max((max(pm.subject.total or 1, pm.subject.number or 1) for pm in numbered), default=0)
    total = last + len(extras)
    out = []
    for number, pm in enumerate(extras, start=last + 1):
        findings.append(
            Finding(
                rule="unnumbered-patch",
                severity="info",
                patch=number,
                message=(
                    f"{pm.mail.message_id} answers the cover with a diff but no N/M: "
                    f"analysed as patch {number}/{total}"
                ),
            )
        )
        out.append((number, total, pm))
    return out


def _cover(pm: _PatchMail) -> Cover:
    return Cover(
        message_id=pm.mail.message_id,
        subject=pm.subject,
        author=pm.mail.sender,
        recipients=pm.mail.to + pm.mail.cc,
        date=pm.mail.date,
        body=pm.mail.body,
        claimed=parse_claimed(pm.mail.body),
        commit_refs=commit_refs(_unquoted(pm.mail.body)),
    )


def _build_patch(pm: _PatchMail, number: int, total: int, findings: list[Finding]) -> Patch:
    parsed = parse_diff(pm.parts.diff)
    own = [replace(f, patch=number) for f in parsed.findings]
    if not pm.parts.diff.strip():
        own.append(
            Finding(
                rule="no-diff",
                severity="error",
                patch=number,
                message=f"{number}/{total} ({pm.mail.message_id}) carries no diff",
            )
        )
    claimed = parse_claimed(pm.parts.notes)
    computed = compute(parsed.files)
    if claimed is not None and not parsed.malformed:
        own.extend(compare(claimed, computed, number, "diffstat-mismatch"))
    trailers = parse_trailers(pm.parts.message)
    signed = tuple(t.person for t in trailers if t.name == "Signed-off-by" and t.person)
    author = pm.parts.in_body_from or pm.mail.sender
    own.extend(signoff_findings(number, author, pm.mail.sender, signed))
    findings.extend(own)
    return Patch(
        number=number,
        total=total,
        subject=pm.subject,
        author=author,
        sender=pm.mail.sender,
        recipients=pm.mail.to + pm.mail.cc,
        message_id=pm.mail.message_id,
        date=pm.mail.date,
        message=pm.parts.message,
        signed_off_by=signed,
        trailers=tuple(
            GivenTrailer(t, pm.mail.message_id) for t in trailers if t.name != "Signed-off-by"
        ),
        commit_refs=commit_refs(pm.parts.message),
        files=parsed.files,
        claimed=claimed,
        computed=computed,
        malformed=parsed.malformed or not pm.parts.diff.strip(),
    )


def _unquoted(body: str) -> str:
    return "\n".join(line for line in body.splitlines() if not line.startswith(">"))


def _replies(mails: list[Mail], cover: Cover | None, patches: list[Patch]) -> list[Reply]:
    """Every reply, tied through In-Reply-To/References to the patch (0: cover) it answers."""
    targets = {p.message_id: p.number for p in patches}
    if cover:
        targets[cover.message_id] = 0
    parent = {m.message_id: m for m in mails}
    by_number = {p.number: p for p in patches}
    replies = []
    for mail in mails:
        above = nearest_above(mail, targets.keys(), parent)
        answers = None if above is None else targets[above]
        patch = by_number.get(answers) if answers else None
        replies.append(
            Reply(
                message_id=mail.message_id,
                author=mail.sender,
                in_reply_to=mail.in_reply_to,
                date=mail.date,
                subject=mail.subject,
                answers=answers,
                trailers=reply_trailers(mail.body),
                quoted=locate_quotes(mail.body, patch) if patch else (),
            )
        )
    return replies


def _attach_reply_trailers(patches: list[Patch], replies: list[Reply]) -> list[Patch]:
    """As b4 does: a trailer given to the cover letter goes to every patch."""
    extra: dict[int, list[GivenTrailer]] = defaultdict(list)
    for reply in replies:
        if reply.answers is None:
            continue
        for trailer in reply.trailers:
            for p in patches:
                if reply.answers in (0, p.number):
                    extra[p.number].append(GivenTrailer(trailer, reply.message_id))
    return [replace(p, trailers=p.trailers + tuple(extra[p.number])) for p in patches]
