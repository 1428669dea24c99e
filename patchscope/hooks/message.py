"""commit-msg checks: the subject's "subsystem: summary" shape and a Signed-off-by.

Written by hand: no library knows the kernel's subject convention (`mm/sparse: ...`,
`mm, memory_hotplug: ...`, `arm64: mm: ...`).
"""

from __future__ import annotations

import re
from email.message import EmailMessage

from patchscope.findings import Finding
from patchscope.ingest.trailers import parse_trailers

SUBJECT_RULE = "commit-subject"
SIGNOFF_RULE = "signoff-missing"  # the same rule id `stat` gives a mailed patch without one

_SCISSORS = re.compile(r"^# -+ >8 -+$")
_WORD = r"[A-Za-z0-9_][\w.+-]*"
_AREA = rf"{_WORD}(?:/{_WORD})*"  # mm/sparse, drivers/base/memory.c
_PREFIX = rf"{_AREA}(?:,\s*{_AREA})*"  # mm, memory_hotplug
_SUBJECT = re.compile(rf"(?:{_PREFIX}:\s+)+\S")  # one or more "prefix: " then the summary
# Subjects git writes itself: the first three wrap another subject, which must have the shape.
_WRAPPERS = re.compile(r"(?:fixup|squash|amend)! ")
_GIT_WRITTEN = re.compile(r'Revert "|Merge |Reapply "')


def cleaned(text: str) -> str:
    """The message as git will store it: no '#' comment lines, nothing below the scissors."""
    kept = []
    for line in text.splitlines():
        if _SCISSORS.match(line):
            break
        if not line.startswith("#"):
            kept.append(line.rstrip())
    return "\n".join(kept).strip() + "\n"


def subject_of(message: str) -> str:
    return message.strip().split("\n", 1)[0].strip()


def message_findings(message: str) -> list[Finding]:
    """The subject shape and the sign-off, each a finding when wrong."""
    found = []
    problem = subject_problem(subject_of(message))
    if problem is not None:
        found.append(
            Finding(
                rule=SUBJECT_RULE,
                severity="error",
                message=problem,
                line=1,
                evidence=(f"subject: {subject_of(message)}",),
            )
        )
    if not any(t.name == "Signed-off-by" for t in parse_trailers(message)):
        found.append(
            Finding(
                rule=SIGNOFF_RULE,
                severity="error",
                message="no Signed-off-by in the message's trailers (git commit -s adds one)",
            )
        )
    return found


def subject_problem(subject: str) -> str | None:
    """Why the subject is not `prefix: summary`, or None when it is."""
    while wrapper := _WRAPPERS.match(subject):
        subject = subject[wrapper.end() :]
    if not subject:
        return "the message has no subject"
    if _GIT_WRITTEN.match(subject):
        return None
    if not _SUBJECT.match(subject):
        return 'the subject does not start with a "subsystem: " prefix (e.g. "mm/sparse: ")'
    return None


def as_mail(message: str, diff: str, ident: str) -> bytes:
    """The commit as the one-patch mail `git format-patch` would make of it, for the
    checks that read mails. `ident` is `git var GIT_AUTHOR_IDENT` ("Name <mail> when")."""
    subject, _, body = message.strip().partition("\n")
    mail = EmailMessage()
    mail["From"] = ident.rsplit(">", 1)[0] + ">"
    mail["Subject"] = f"[PATCH] {subject.strip()}"
    mail.set_content(f"{body.strip()}\n---\n{diff}")
    return mail.as_bytes()
