"""Findings: the one shape every check reports problems in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from patchscope.digest import sha256_hex

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    """One problem a check reports: rule, severity, message, where it is and the evidence."""

    rule: str
    severity: Severity
    message: str
    patch: int | None = None
    file: str | None = None
    line: int | None = None
    entity: str | None = None
    evidence: tuple[str, ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        """Stable across runs and line shifts, so a baseline can mute one finding."""
        key = "\0".join(
            [self.rule, str(self.patch or ""), self.file or "", self.entity or "", self.message]
        )
        return sha256_hex(key.encode())[:16]

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "fingerprint": self.fingerprint,
            "severity": self.severity,
            "patch": self.patch,
            "file": self.file,
            "line": self.line,
            "entity": self.entity,
            "message": self.message,
            "evidence": list(self.evidence),
        }


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Severity first, then patch, file, line, rule: the order every command prints."""

    def key(f: Finding) -> tuple[int, int, str, int, str, str]:
        return (
            SEVERITY_RANK[f.severity],
            -1 if f.patch is None else f.patch,
            f.file or "",
            -1 if f.line is None else f.line,
            f.rule,
            f.message,
        )

    return sorted(findings, key=key)


def reaches(findings: Iterable[Finding], fail_on: str) -> bool:
    """True when a finding is at or above the --fail-on level ("never" never fails)."""
    if fail_on == "never":
        return False
    limit = SEVERITY_RANK[fail_on]
    return any(SEVERITY_RANK[f.severity] <= limit for f in findings)
