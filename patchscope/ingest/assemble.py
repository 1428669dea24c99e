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
from patchscope.ingest.mail import Mail, Person
from patchscope.ingest.quotes import locate_quotes
from patchscope.ingest.series import Cover, GivenTrailer, Patch, Reply, Series
from patchscope.ingest.signoff import signoff_findings
from patchscope.ingest.subject import Subject, parse_subject
from patchscope.ingest.trailers import (
    BodyParts,
    commit_refs,
    parse_trailers,
    reply_trailers,
    split_body,
)

# What `git format-patch --cover-letter` leaves in a cover letter nobody edited.
GIT_COVER_PLACEHOLDER = "*** SUBJECT HERE ***"


@dataclass(frozen=True)
class _PatchMail:
    mail: Mail
    subject: Subject
    parts: BodyParts


def assemble(mails: Sequence[Mail], *, source: str, name: str | None = None) -> Series:
    """Build the series a reviewer means from everything the source held."""
    patch_mails, cover_mails, other_mails = _classify(mails)
    if not patch_mails:
        raise NoPatchError(f"no patch in {source}")
    limits.check(source, "the number of patch mails", len(patch_mails), "max_patches")
    findings: list[Finding] = []
    version, chosen = _choose_version(patch_mails, findings)
    numbered = _number(chosen, findings)
    cover = _cover(cover_mails, version, numbered)
    patches = [_build_patch(pm, number, total, findings) for number, total, pm in numbered]
    replies = _replies(other_mails, cover, patches)
    patches = _attach_reply_trailers(patches, replies)
    lead = cover.subject if cover else patches[0].subject
    title = patches[0].subject.title if GIT_COVER_PLACEHOLDER in lead.title else lead.title
    date, sender = (cover.date, cover.author) if cover else (patches[0].date, patches[0].sender)
    return Series(
        name=name or b4_name(version, date, sender, title),
        title=title,
        version=version,
        rfc=lead.rfc,
        prefixes=lead.prefixes,
        message_id=cover.message_id if cover else patches[0].message_id,
        cover=cover,
        patches=tuple(patches),
        replies=tuple(replies),
        findings=tuple(findings),
    )


def b4_name(version: int, date: str, sender: Person, title: str) -> str:
    """The name b4 gives a thread's files: v2_20190122_osalvador_<title slug>."""
    day = date[:10].replace("-", "") if date else "00000000"
    local = _slug(sender.email.split("@")[0])
    name = f"{day}_{local}_{_slug(title)}"[:100].rstrip("_")
    return f"v{version}_{name}" if version > 1 else name


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text.lower()).strip("_")


def _classify(
    mails: Sequence[Mail],
) -> tuple[list[_PatchMail], list[_PatchMail], list[Mail]]:
    """Patches carry a diff; a cover is 0/N without one; the rest are replies or chatter."""
    patches: list[_PatchMail] = []
    covers: list[_PatchMail] = []
    others: list[Mail] = []
    for mail in mails:
        subject = parse_subject(mail.subject)
        if subject.is_reply:
            others.append(mail)
            continue
        parts = split_body(mail.body)
        if parts.diff.strip() and subject.number != 0:
            patches.append(_PatchMail(mail, subject, parts))
        elif subject.is_patch and subject.number == 0:
            covers.append(_PatchMail(mail, subject, parts))
        elif subject.is_patch and subject.number is not None:
            patches.append(_PatchMail(mail, subject, parts))  # a patch mail with no diff left
        else:
            others.append(mail)
    return patches, covers, others


def _choose_version(
    patch_mails: list[_PatchMail], findings: list[Finding]
) -> tuple[int, list[_PatchMail]]:
    """The newest version whose patches are all there, else the newest one."""
    by_version: dict[int, list[_PatchMail]] = defaultdict(list)
    for pm in patch_mails:
        by_version[pm.subject.version].append(pm)
    versions = sorted(by_version, reverse=True)
    complete = [v for v in versions if not _missing(by_version[v])]
    chosen = complete[0] if complete else versions[0]
    others = [v for v in versions if v != chosen]
    if others:
        ignored = ", ".join(f"v{v} ({len(by_version[v])} patches)" for v in others)
        findings.append(
            Finding(
                rule="mixed-versions",
                severity="warning",
                message=f"mixed versions: analysing v{chosen}, ignoring {ignored}",
            )
        )
    return chosen, by_version[chosen]


def _total(pms: Sequence[_PatchMail]) -> int:
    return max((pm.subject.total or 1) for pm in pms)


def _missing(pms: Sequence[_PatchMail]) -> list[tuple[int, int]]:
    """Runs (first, last) of the N/M no patch carries, found from the numbers present:
    a subject claiming 1/999999999999 must not cost a loop over every N."""
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
    """Patches in N order; a missing N/M and a duplicate N are findings."""
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
    by_number: dict[int, _PatchMail] = {}
    for pm in chosen:
        number = pm.subject.number or 1
        if number in by_number:
            findings.append(
                Finding(
                    rule="duplicate-patch",
                    severity="warning",
                    patch=number,
                    message=(
                        f"{number}/{total} sent twice: using {pm.mail.message_id}, "
                        f"ignoring {by_number[number].mail.message_id}"
                    ),
                )
            )
        by_number[number] = pm
    return [(n, total, by_number[n]) for n in sorted(by_number)]


def _cover(
    cover_mails: list[_PatchMail], version: int, numbered: list[tuple[int, int, _PatchMail]]
) -> Cover | None:
    """The 0/N of the chosen version; the one the patches answer when there are several."""
    candidates = [pm for pm in cover_mails if pm.subject.version == version]
    if not candidates:
        return None
    answered = {pm.mail.in_reply_to for _, _, pm in numbered}
    pm = next((c for c in candidates if c.mail.message_id in answered), candidates[-1])
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
        answers = _answered(mail, targets, parent)
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


def _answered(mail: Mail, targets: dict[str, int], parent: dict[str, Mail]) -> int | None:
    """Climb the reply chain; fall back on References when a link in it is missing."""
    seen: set[str] = set()
    current: Mail | None = mail
    while current is not None and current.message_id not in seen:
        seen.add(current.message_id)
        up = current.in_reply_to
        if up is None:
            break
        if up in targets:
            return targets[up]
        current = parent.get(up)
    for ref in reversed(mail.references):
        if ref in targets:
            return targets[ref]
    return None


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
