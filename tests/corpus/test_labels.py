"""Precision on real mail: every finding `check` raises on the corpus is labelled true or
false by a reader (labels.toml), and the false ones stay under the issue's target."""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.corpus.conftest import command, require_corpus, series_names

LABELS = Path(__file__).with_name("labels.toml")
_KEYS = ("series", "patch", "rule", "file", "entity")
# the target: no false error, one false warning in the whole corpus, one false info a series
MAX_FALSE_WARNINGS = 1
MAX_FALSE_INFOS_PER_SERIES = 1


@dataclass(frozen=True)
class Label:
    key: dict[str, Any]
    verdict: bool
    reason: str

    def matches(self, finding: dict[str, Any]) -> bool:
        return all(finding.get(k) == v for k, v in self.key.items())


def labels() -> list[Label]:
    table = tomllib.loads(LABELS.read_text())["label"]
    return [
        Label(
            {k: row[k] for k in _KEYS if k in row},
            {"true": True, "false": False}[row["verdict"]],
            row["reason"],
        )
        for row in table
    ]


def findings() -> list[dict[str, Any]]:
    require_corpus()
    return [
        {**f, "series": name}
        for name in series_names()
        for f in command("check", name, "--json").json()["findings"]
    ]


def _show(f: dict[str, Any]) -> str:
    return (
        f"{f['series']} patch {f['patch']} {f['rule']} {f['file']} [{f['entity']}]: {f['message']}"
    )


def test_every_label_is_well_formed() -> None:
    for label in labels():
        assert {"series", "patch", "rule"} <= label.key.keys(), label
        assert ":" in label.reason, f"{label.key}: the reason cites no file:line"


def test_every_finding_has_exactly_one_label() -> None:
    known = labels()
    unlabelled = [_show(f) for f in findings() if not any(la.matches(f) for la in known)]
    assert unlabelled == [], "label these in tests/corpus/labels.toml"
    twice = [_show(f) for f in findings() if sum(la.matches(f) for la in known) > 1]
    assert twice == []


def test_every_label_still_has_its_finding() -> None:
    """A label whose finding is gone is dropped."""
    found = findings()
    stale = [la.key for la in labels() if not any(la.matches(f) for f in found)]
    assert stale == [], "remove these labels from tests/corpus/labels.toml"


def _false_counts() -> tuple[Counter[str], Counter[str]]:
    known = labels()
    by_severity: Counter[str] = Counter()
    infos_by_series: Counter[str] = Counter()
    for f in findings():
        label = next((la for la in known if la.matches(f)), None)
        if label is None or label.verdict:
            continue
        by_severity[f["severity"]] += 1
        if f["severity"] == "info":
            infos_by_series[f["series"]] += 1
    return by_severity, infos_by_series


def test_no_false_error_and_at_most_one_false_info_per_series() -> None:
    by_severity, infos_by_series = _false_counts()
    assert by_severity["error"] == 0
    assert max(infos_by_series.values(), default=0) <= MAX_FALSE_INFOS_PER_SERIES


def test_at_most_one_false_warning_in_the_corpus() -> None:
    by_severity, _ = _false_counts()
    assert by_severity["warning"] <= MAX_FALSE_WARNINGS


def test_a_label_names_its_finding_and_no_other() -> None:
    label = Label(
        {"series": "a.mbox", "patch": 2, "rule": "claim-mismatch", "file": "mm/x.c"},
        False,
        "mm/x.c:1",
    )
    finding = {
        "series": "a.mbox",
        "patch": 2,
        "rule": "claim-mismatch",
        "file": "mm/x.c",
        "entity": None,
    }
    assert label.matches(finding)
    assert not label.matches({**finding, "patch": 1})
    assert not label.matches({**finding, "file": "mm/y.c"})
