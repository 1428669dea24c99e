"""claim-mismatch: a message that says rename, cleanup or no functional change, and a patch
that computes something else.

Each changed condition, assigned value, returned value and call argument is compared
with its counterpart by the solver (claim_judge.py, nfc.py): a counterexample makes a
warning, a proof an info `nfc-proved`, and what the model cannot settle an info
`nfc-not-proved` with the reason. A rename must besides change identifiers only, unless
what else it changes is proved equal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from patchscope.findings import Finding, Severity

if TYPE_CHECKING:
    from patchscope.code.model import SeriesFacts
    from patchscope.code.tree import TreeFacts
    from patchscope.ingest.series import Patch, Series

RULE = "claim-mismatch"
SEVERITY: Severity = "warning"  # a counterexample's: the diff may differ where no caller goes
PROVED = "nfc-proved"
NOT_PROVED = "nfc-not-proved"

# claim -> (its words, whether the body may say them mid-sentence). "Rename" and
# "clean up" in the body claim something only where a sentence starts with them: "the
# error path must clean up" describes code, "Clean up the error path." describes the patch.
# NFC is matched in capitals and not as a "NFC:" subsystem prefix (drivers/nfc).
_CLAIMS = {
    "rename": (re.compile(r"\b(?i:renam(?:e|es|ed|ing))\b"), False),
    "no functional change": (
        re.compile(r"(?i:\bno\s+functional(?:ity)?\s+changes?\b)|\bNFCI?\b(?!:)"),
        True,
    ),
    "cleanup": (re.compile(r"\b(?i:clean(?:s|ed|ing)?[ -]?ups?)\b"), False),
}
_SENTENCE = re.compile(r"(?:^|[.!?;:]\s+)\s*")


def check(series: Series, facts: SeriesFacts, tree: TreeFacts | None = None) -> list[Finding]:
    claimed = [(patch, said) for patch in series.patches if (said := list(claims(patch)))]
    if not claimed:
        return []
    # the comparing side loads the C evaluator and the solver's glue: only a claim needs them
    from patchscope.checks.claim_judge import judge

    return judge(claimed, facts, tree)


def claims(patch: Patch) -> Iterator[tuple[str, str]]:
    """(claim, the line that makes it) for each claim in the subject or the message."""
    for claim, (pattern, anywhere) in _CLAIMS.items():
        if pattern.search(patch.subject.title):
            yield claim, f"Subject: {patch.subject.title}"
            continue
        quoted = next(
            (line.strip() for line in patch.message.splitlines() if _says(pattern, line, anywhere)),
            None,
        )
        if quoted is not None:
            yield claim, quoted


def verdict_on(claim: str, patch: int, findings: Iterable[Finding]) -> str:
    """What this check found on one claim of a patch, among `findings`: "contradicted" (a
    counterexample), "not proved", "proved", or "no finding" (nothing it could compare)."""
    said = f'"{claim}"'
    rules = {f.rule for f in findings if f.patch == patch and said in f.message}
    for rule, outcome in ((RULE, "contradicted"), (NOT_PROVED, "not proved"), (PROVED, "proved")):
        if rule in rules:
            return outcome
    return "no finding"


def _says(pattern: re.Pattern[str], line: str, anywhere: bool) -> bool:
    if anywhere:
        return pattern.search(line) is not None
    return any(pattern.match(line, m.end()) for m in _SENTENCE.finditer(line))
