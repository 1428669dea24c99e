"""Waivers: findings a reviewer has judged and muted by fingerprint, each with a reason.

The baseline is a TOML file (`.patchscope-baseline.toml` at the tree's top, or one
named with `--baseline`) holding one `[[waiver]]` table per muted finding:

    [[waiver]]
    fingerprint = "0123456789abcdef"
    reason = "the declaration comes with the next series"
    rule = "undeclared-global"   # optional, for the reader; not matched

A muted finding is still shown, marked muted; a waiver that matches nothing is itself
reported (`stale-waiver`), so a baseline cannot silently outlive what it muted.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from patchscope.errors import PatchscopeError
from patchscope.findings import Finding, reaches, sort_findings
from patchscope.ingest import GIT_PREFIX

FILE_NAME = ".patchscope-baseline.toml"
STALE_RULE = "stale-waiver"
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


class BaselineError(PatchscopeError):
    """A baseline file that cannot be read or does not have the waiver shape."""


@dataclass(frozen=True)
class Waiver:
    """One muted finding of a baseline file: its fingerprint, why, and the rule if named."""

    fingerprint: str
    reason: str
    rule: str | None = None


@dataclass(frozen=True)
class Baseline:
    """The waivers of a baseline file, with the file they were read from."""

    path: Path
    waivers: tuple[Waiver, ...]


@dataclass(frozen=True)
class Judged:
    """A finding and, when a waiver mutes it, the waiver's reason."""

    finding: Finding
    reason: str | None = None

    @property
    def muted(self) -> bool:
        return self.reason is not None

    def to_json(self) -> dict[str, object]:
        document = self.finding.to_json()
        if self.reason is not None:
            document |= {"muted": True, "reason": self.reason}
        return document


def read_baseline(path: Path) -> Baseline:
    """Parse and validate a baseline; every problem is one line naming the file."""
    import tomllib  # here: most checks run without a baseline file

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise BaselineError(f"baseline {path} is not valid TOML: {exc}") from None
    unknown = set(data) - {"waiver"}
    if unknown:
        raise BaselineError(f"baseline {path}: unknown key {sorted(unknown)[0]!r}")
    entries = data.get("waiver", [])
    if not isinstance(entries, list):
        raise BaselineError(f"baseline {path}: 'waiver' must be an array of tables")
    return Baseline(path, tuple(_waiver(path, i, entry) for i, entry in enumerate(entries, 1)))


def _waiver(path: Path, index: int, entry: object) -> Waiver:
    where = f"baseline {path}: waiver {index}"
    if not isinstance(entry, dict):
        raise BaselineError(f"{where} is not a table")
    fingerprint, reason, rule = entry.get("fingerprint"), entry.get("reason"), entry.get("rule")
    if not isinstance(fingerprint, str) or not _FINGERPRINT.fullmatch(fingerprint):
        raise BaselineError(f"{where}: fingerprint must be 16 lower-case hex digits")
    if not isinstance(reason, str) or not reason.strip():
        raise BaselineError(f"{where} ({fingerprint}) has no reason")
    if rule is not None and not isinstance(rule, str):
        raise BaselineError(f"{where} ({fingerprint}): rule must be a string")
    extra = set(entry) - {"fingerprint", "reason", "rule"}
    if extra:
        raise BaselineError(f"{where} ({fingerprint}): unknown key {sorted(extra)[0]!r}")
    return Waiver(fingerprint, reason.strip(), rule)


def find_baseline(source: str, explicit: str | None) -> Baseline | None:
    """The baseline named with --baseline, else the one at the top of the source's git
    repository (a git: source) or of the current directory's; None when there is none."""
    if explicit is not None:
        return read_baseline(Path(explicit))
    return baseline_at(git_top(Path(_git_source_path(source) or ".")))


def baseline_at(top: Path | None) -> Baseline | None:
    """The baseline file at a work tree's top, if there is one."""
    if top is None or not (top / FILE_NAME).is_file():
        return None
    return read_baseline(top / FILE_NAME)


def _git_source_path(source: str) -> str | None:
    if not source.startswith(GIT_PREFIX):
        return None
    from patchscope.ingest.gitrange import parse_range

    try:
        return parse_range(source).path
    except PatchscopeError:
        return None  # the load itself will say what is wrong with the range


def git_top(where: Path) -> Path | None:
    """The work tree's top folder of the repository holding `where`, or None."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=where,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:  # no git, or `where` is no folder
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 else None


def judge(findings: Iterable[Finding], baseline: Baseline | None) -> list[Judged]:
    """Mark muted findings and add a stale-waiver warning for each waiver matching nothing."""
    found = list(findings)
    if baseline is None:
        return [Judged(f) for f in found]
    reasons = {w.fingerprint: w.reason for w in baseline.waivers}
    present = {f.fingerprint for f in found}
    stale = [_stale(baseline.path, w) for w in baseline.waivers if w.fingerprint not in present]
    return [Judged(f, reasons.get(f.fingerprint)) for f in sort_findings([*found, *stale])]


def _stale(path: Path, waiver: Waiver) -> Finding:
    about = f" ({waiver.rule})" if waiver.rule else ""
    return Finding(
        rule=STALE_RULE,
        severity="warning",
        message=f"waiver {waiver.fingerprint}{about} matches no finding; remove it",
        file=str(path),
        evidence=(f"reason: {waiver.reason}",),
    )


def fails(judged: Iterable[Judged], fail_on: str) -> bool:
    """Whether the unmuted findings reach --fail-on: muted ones never fail."""
    return reaches((j.finding for j in judged if not j.muted), fail_on)
