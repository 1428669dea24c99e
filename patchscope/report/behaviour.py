"""A patch's behaviour delta said in a few lines: each change once, with where it holds.

The model replays every flow on every arch before and after a patch; the raw delta of a
patch touching the memmap is some two hundred "scenario: observable old -> new" lines, most
of them the same change seen by each flow of each arch. Here a change is written once per
arch (whatever the flows that see it), and arches that share a change are named together:
"x86_64, arm64: memmap 8,192 pages node -> range; managed_pages -8,192".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patchscope.model.verdicts import ScenarioDelta

# The two halves of "where the memmap lives": moved pages show as one change.
_NODE, _RANGE = "memmap_from_node_pages", "memmap_from_range_pages"


@dataclass(frozen=True)
class Agreement:
    """Changes seen alike wherever `where` names (arches, or a scenario of its own)."""

    where: tuple[str, ...]
    changes: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{', '.join(self.where)}: {'; '.join(self.changes)}"


def summarise(deltas: Sequence[ScenarioDelta]) -> tuple[Agreement, ...]:
    """Every change once, grouped by the arches that see it. Groups where an invariant
    starts or stops firing come first, then the widest agreement; within a group too the
    invariants come before the counters.
    A change that no lifecycle flow of an arch sees, only a special scenario (another
    flow, or other parameters), is placed at that scenario: it holds there alone."""
    from patchscope.model.verdicts import STANDARD_FLOWS

    by_arch: dict[str, dict[str, dict[str, None]]] = {}  # arch -> change -> scenarios
    for d in deltas:
        scenario = d.scenario
        special = scenario.flow not in STANDARD_FLOWS or bool(scenario.params)
        qualifier = scenario.label.replace(f" {scenario.arch}", "", 1) if special else ""
        for change in _changes(d):
            by_arch.setdefault(scenario.arch, {}).setdefault(change, {})[qualifier] = None
    seen: dict[str, dict[str, None]] = {}  # change -> the places that see it
    for arch, changes in by_arch.items():
        for change, qualifiers in changes.items():
            place = arch if "" in qualifiers else f"{arch} {', '.join(qualifiers)}"
            seen.setdefault(change, {})[place] = None
    grouped: dict[tuple[str, ...], list[str]] = {}
    for change, arches in seen.items():
        grouped.setdefault(tuple(arches), []).append(change)
    agreements = [
        Agreement(where, tuple(sorted(found, key=_rank))) for where, found in grouped.items()
    ]
    return tuple(sorted(agreements, key=lambda a: (_rank(a.changes[0]), -len(a.where))))


def _rank(change: str) -> int:
    return 0 if change.startswith(("fires ", "no longer fires ")) else 1


def _changes(d: ScenarioDelta) -> Iterable[str]:
    moved = d.observables.get(_NODE), d.observables.get(_RANGE)
    pages = _moved_pages(*moved)
    if pages:
        yield (
            f"memmap {pages:,} pages node -> range"
            if pages > 0
            else (f"memmap {-pages:,} pages range -> node")
        )
    for name, (old, new) in d.observables.items():
        if not (pages and name in (_NODE, _RANGE)):
            yield f"{name} {_step(old, new)}"
    yield from (f"fires {rule.removeprefix('invariant-')}" for rule in d.findings_gained)
    yield from (f"no longer fires {rule.removeprefix('invariant-')}" for rule in d.findings_lost)


def _moved_pages(node: tuple[Any, Any] | None, range_: tuple[Any, Any] | None) -> int:
    """Pages the memmap moved from the node into the range (negative: back), or 0 when
    the two counters did not trade the same pages."""
    if node is None or range_ is None:
        return 0
    taken, given = _number(node[0]) - _number(node[1]), _number(range_[1]) - _number(range_[0])
    return taken if taken == given else 0


def _number(value: Any) -> int:
    try:
        return int(str(value), 0)
    except ValueError:
        return 0


def _step(old: Any, new: Any) -> str:
    """A count as its signed change; an address as old -> new; text as it reads."""
    if isinstance(old, int) and isinstance(new, int) and not isinstance(old, bool):
        return f"{new - old:+,}"
    return f"{old if old != '' else 'none'} -> {new if new != '' else 'none'}"
