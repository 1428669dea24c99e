"""Subject lines: [RFC PATCH v2 3/4], [PATCH net-next v3 01/12], RESEND, Re:."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
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


def parse_subject(raw: str) -> Subject:
    raise NotImplementedError
