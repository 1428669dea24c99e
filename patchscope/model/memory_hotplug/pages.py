"""struct page as runs: one PageState per stretch of pfns whose pages are all alike.

A real kernel has one struct page per pfn; the model keeps a run-length map so that the
memmap of 1 TiB costs what 2 GiB does. No library offers an interval map with split and
coalesce, so PageRuns is written here by hand (bisect over the run starts).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patchscope.model.memory_hotplug.kernel import Kernel

# Page flags are named as in include/linux/page-flags.h: "Reserved", "Buddy", "HWPoison",
# and "Vmemmap" for a series that marks vmemmap pages. "Buddy" is set on every page of a
# free block, not only on its head as PG_buddy is, so that free memory stays one run.


@dataclass(frozen=True, slots=True)
class PageState:
    present: bool = False  # the pfn has a struct page (its section is present)
    poisoned: bool = False  # page_init_poison() filled it with 0xff, nobody initialised it
    initialised: bool = False  # __init_single_page() ran on it
    flags: frozenset[str] = field(default=frozenset())
    mapping: str | None = None  # "anon" for movable user pages; None for kernel pages
    refcount: int = 0
    private: int = 0
    head_pfn: int | None = None  # compound head, or the head the series' vmemmap pages keep
    zone: str | None = None  # the zone link in page->flags, set by memmap_init_zone()


ABSENT = PageState()


# Every state stored is interned, so equal states are the same object: runs coalesce on an
# identity test, and a transition is remembered by the identity of the state it starts
# from (an interned state lives as long as the interning table, so its id is never reused).
# dataclasses.replace() and hashing a PageState are slow, and the same few states recur.
_INTERNED: dict[PageState, PageState] = {ABSENT: ABSENT}
_TRANSITIONS: dict[tuple[int, Any], PageState] = {}


def _intern(state: PageState) -> PageState:
    return _INTERNED.setdefault(state, state)


def _transition(state: PageState, key: Any, make: Callable[[PageState], PageState]) -> PageState:
    """make(state), interned, remembered under `key` (what the change is)."""
    new = _TRANSITIONS.get((id(state), key))
    if new is None:
        if len(_TRANSITIONS) > 100_000:  # a bound on memory, never on correctness
            _TRANSITIONS.clear()
        new = _TRANSITIONS[(id(state), key)] = _intern(make(state))
    return new


def _flags_changed(
    more: frozenset[str], less: frozenset[str], changes: Mapping[str, Any]
) -> Callable[[PageState], PageState]:
    """The interned state with `more` flags set, `less` cleared and `changes` made."""
    key = ("flags", more, less, tuple(changes.items()))

    def make(s: PageState) -> PageState:
        return replace(s, flags=(s.flags | more) - less, **changes)

    return lambda s: _transition(s, key, make)


class PageRuns:
    """pfn -> PageState, stored as sorted run starts; every pfn before the first set is ABSENT."""

    def __init__(self) -> None:
        self._starts: list[int] = [0]
        self._states: list[PageState] = [ABSENT]

    def get(self, pfn: int) -> PageState:
        return self._states[bisect_right(self._starts, pfn) - 1]

    def copy(self) -> PageRuns:
        """The same pages, to change apart (states are immutable: only the lists are new)."""
        other = PageRuns()
        other._starts, other._states = list(self._starts), list(self._states)
        return other

    def runs(self, start: int, end: int) -> Iterator[tuple[int, int, PageState]]:
        """(run_start, run_end, state) for [start, end), clipped to the range."""
        starts, states = self._starts, self._states
        i, n = bisect_right(starts, start) - 1, len(starts)
        lo = start
        while i < n and starts[i] < end:
            hi = starts[i + 1] if i + 1 < n and starts[i + 1] < end else end
            yield lo, hi, states[i]
            lo = hi
            i += 1

    def set(self, start: int, end: int, **changes: Any) -> None:
        """Give every page of [start, end) the listed field values."""
        key = ("set", tuple(changes.items()))
        self._apply(start, end, lambda s: _transition(s, key, lambda s: replace(s, **changes)))

    def change(self, start: int, end: int, fn: Callable[[PageState], PageState]) -> None:
        """Replace each run's state in [start, end) by fn(state); neighbours coalesce."""
        self._apply(start, end, lambda s: _intern(fn(s)))

    def add_flags(self, start: int, end: int, *flags: str, **changes: Any) -> None:
        """Set flags on [start, end), and any listed fields with them."""
        self._flags(start, end, frozenset(flags), frozenset(), changes)

    def clear_flags(self, start: int, end: int, *flags: str, **changes: Any) -> None:
        """Clear flags on [start, end), and set any listed fields with them."""
        self._flags(start, end, frozenset(), frozenset(flags), changes)

    def clear_flags_each(
        self, ranges: Sequence[tuple[int, int]], *flags: str, **changes: Any
    ) -> None:
        """clear_flags() on many disjoint ranges given in pfn order, in one pass over the
        runs: fragmenting a node takes thousands of blocks out of the buddy."""
        self._apply_each(ranges, _flags_changed(frozenset(), frozenset(flags), changes))

    def _flags(
        self, start: int, end: int, more: frozenset[str], less: frozenset[str], changes: Any
    ) -> None:
        self._apply(start, end, _flags_changed(more, less, changes))

    def _apply_each(
        self, ranges: Sequence[tuple[int, int]], fn: Callable[[PageState], PageState]
    ) -> None:
        """_apply() on each range: every stretch between two boundaries (of a run or of a
        range) is in one run and wholly in a range or out of all, so it keeps its state or
        takes fn's; equal neighbours coalesce as they are laid down."""
        starts, states, last = self._starts, self._states, len(self._starts) - 1
        ranges = [r for r in ranges if r[0] < r[1]]
        bounds = sorted({*starts, *(pfn for r in ranges for pfn in r)})
        changed: dict[int, PageState] = {}  # fn of each state met: the same few recur
        out_starts: list[int] = []
        out_states: list[PageState] = []
        i = j = 0
        for pfn in bounds:
            while i < last and starts[i + 1] <= pfn:
                i += 1
            while j < len(ranges) and ranges[j][1] <= pfn:
                j += 1
            state = states[i]
            if j < len(ranges) and ranges[j][0] <= pfn:
                new = changed.get(id(state))  # interned and held by `states`: ids stay
                if new is None:
                    new = changed[id(state)] = fn(state)
                state = new
            if not out_states or out_states[-1] is not state:
                out_starts.append(pfn)
                out_states.append(state)
        self._starts, self._states = out_starts, out_states

    def _apply(self, start: int, end: int, fn: Callable[[PageState], PageState]) -> None:
        """change() with an fn that returns interned states."""
        if start >= end:
            return
        starts, states = self._starts, self._states
        i = bisect_right(starts, start) - 1
        if i + 1 == len(starts) or end <= starts[i + 1]:  # inside one run: the usual case
            old, new = states[i], fn(states[i])
            if new is old:
                return
            at = i
            if starts[i] < start:  # keep the head of the run
                at = i + 1
                starts.insert(at, start)
                states.insert(at, new)
            else:
                states[i] = new
            if at + 1 == len(starts) or end < starts[at + 1]:  # and its tail
                starts.insert(at + 1, end)
                states.insert(at + 1, old)
            self._coalesce(at, at + 2)
            return
        first = self._split(start)
        last = self._split(end)
        for i in range(first, last):
            states[i] = fn(states[i])
        self._coalesce(max(first - 1, 0), min(last + 1, len(starts)))

    def count(self, start: int, end: int, test: Callable[[PageState], bool]) -> int:
        """How many pages of [start, end) pass test."""
        return self.counts(((start, end),), test)[0]

    def counts(
        self, ranges: Iterable[tuple[int, int]], test: Callable[[PageState], bool]
    ) -> list[int]:
        """count() of each range: an invariant counts every memmap block after every step."""
        starts, states, last = self._starts, self._states, len(self._starts) - 1
        found: list[int] = []
        for start, end in ranges:
            i = bisect_right(starts, start) - 1
            total, lo = 0, start
            while lo < end:  # each run from the one holding start, clipped to the range
                hi = starts[i + 1] if i < last and starts[i + 1] < end else end
                if test(states[i]):
                    total += hi - lo
                lo, i = hi, i + 1
            found.append(total)
        return found

    def __len__(self) -> int:
        """Number of runs (what the model's memory cost grows with)."""
        return len(self._starts)

    def _split(self, pfn: int) -> int:
        """Index of the run starting at pfn, splitting the run that holds it if needed."""
        i = bisect_right(self._starts, pfn) - 1
        if self._starts[i] == pfn:
            return i
        self._starts.insert(i + 1, pfn)
        self._states.insert(i + 1, self._states[i])
        return i + 1

    def _coalesce(self, lo: int, hi: int) -> None:
        starts, states = self._starts, self._states
        i, n = lo or 1, len(starts)  # (lo is never negative) no builtin calls: a hot path
        if hi > n:
            hi = n
        while i < hi:
            if states[i] is states[i - 1]:  # interned: equal means identical
                del starts[i]
                del states[i]
                hi -= 1
            else:
                i += 1


def struct_pages(
    k: Kernel, start: int, end: int, test: str | None = None
) -> Iterator[tuple[int, int, PageState]]:
    """Read the struct pages of [start, end) as the kernel would through pfn_to_page().

    Reading memmap whose backing was freed is a use-after-free; a PageXxx() test (`test`
    names it) on a poisoned page is a VM_BUG_ON with CONFIG_DEBUG_VM_PGFLAGS. Both are
    recorded on the kernel for the invariants, and the read goes on as the kernel's would.
    """
    if not k.memmap_mapped(start, end):
        k.bug(
            "memmap-use-after-free", f"struct pages of pfn {start:#x}-{end:#x} read, memmap freed"
        )
    if not (test and k.config.debug_vm_pgflags):  # nothing to check on the way
        yield from k.pages.runs(start, end)
        return
    for run in k.pages.runs(start, end):
        if run[2].poisoned:
            k.bug("poisoned-read", f"{test}() on poisoned struct page, pfn {run[0]:#x}")
        yield run
