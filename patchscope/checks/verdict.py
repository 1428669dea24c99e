"""What a comparison of two expressions concluded, and what a series may spend on them.

Kept apart from smt.py so that checks can hold verdicts without loading z3 (some 30 ms,
and 10 ms to its first answer), which only a series whose messages claim something needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["proved", "refuted", "not proved"]
QUERY_MS = 2000  # one query's limit
SERIES_SECONDS = 20.0  # every query of one series together
SERIES_QUERIES = 200


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str = ""  # why not proved
    premises: tuple[str, ...] = ()  # what C leaves undefined, assumed not to happen
    counterexample: tuple[str, ...] = ()  # "pfn = 32767 (0x7fff)", one per input
    values: tuple[str, str] = ("", "")  # both sides' values at the counterexample


@dataclass
class Budget:
    """What one series may spend on the solver; spent queries answer "not proved"."""

    queries: int = SERIES_QUERIES
    seconds: float = SERIES_SECONDS  # the solver's own time: parsing and reading are not charged

    def take(self) -> bool:
        if self.queries <= 0 or self.seconds <= 0:
            return False
        self.queries -= 1
        return True

    def charge(self, seconds: float) -> None:
        self.seconds -= seconds
