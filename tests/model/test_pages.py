"""PageRuns: a run-length map that answers like a per-page array would."""

import random
from itertools import pairwise

from patchscope.model.memory_hotplug.pages import ABSENT, PageRuns, PageState


def test_runs_match_a_per_page_array() -> None:
    """Random sets and flag changes on runs against the same edits on a plain list."""
    rng = random.Random(4)
    size = 512
    runs = PageRuns()
    plain = [ABSENT] * size
    for _ in range(300):
        lo = rng.randrange(size)
        hi = rng.randrange(lo, size) + 1
        what = rng.randrange(3)
        if what == 0:
            refcount = rng.randrange(3)
            runs.set(lo, hi, present=True, refcount=refcount)
            for i in range(lo, hi):
                plain[i] = PageState(**{**_fields(plain[i]), "present": True, "refcount": refcount})
        elif what == 1:
            runs.add_flags(lo, hi, "Buddy")
            for i in range(lo, hi):
                plain[i] = PageState(**{**_fields(plain[i]), "flags": plain[i].flags | {"Buddy"}})
        else:
            runs.clear_flags(lo, hi, "Buddy")
            for i in range(lo, hi):
                plain[i] = PageState(**{**_fields(plain[i]), "flags": plain[i].flags - {"Buddy"}})
    assert [runs.get(i) for i in range(size)] == plain
    expanded = [s for lo, hi, s in runs.runs(0, size) for _ in range(lo, hi)]
    assert expanded == plain
    # neighbours with equal state are always merged
    states = [s for _, _, s in runs.runs(0, size)]
    assert all(a != b for a, b in pairwise(states))
    ranges = [(lo, rng.randrange(lo, size + 1)) for lo in rng.sample(range(size), 60)]
    in_buddy = [sum("Buddy" in s.flags for s in plain[lo:hi]) for lo, hi in ranges]
    assert runs.counts(ranges, lambda s: "Buddy" in s.flags) == in_buddy


def test_flags_cleared_on_many_ranges_at_once_as_one_by_one() -> None:
    """clear_flags_each against clear_flags range by range, on a random map; a range list
    that differs gives a map that differs."""
    rng = random.Random(7)
    size = 2048
    for _ in range(20):
        base = PageRuns()
        for _ in range(30):
            lo = rng.randrange(size)
            base.add_flags(lo, rng.randrange(lo, size) + 1, rng.choice(["Buddy", "Reserved"]))
        cuts = sorted(rng.sample(range(size), 40))
        ranges = [(a, b) for a, b in pairwise(cuts)][::2]
        at_once, one_by_one, fewer = base.copy(), base.copy(), base.copy()
        at_once.clear_flags_each(ranges, "Buddy", refcount=1)
        for lo, hi in ranges:
            one_by_one.clear_flags(lo, hi, "Buddy", refcount=1)
        fewer.clear_flags_each(ranges[1:], "Buddy", refcount=1)
        assert list(at_once.runs(0, size + 1)) == list(one_by_one.runs(0, size + 1))
        assert len(at_once) == len(one_by_one)  # coalesced alike
        assert list(fewer.runs(0, size + 1)) != list(at_once.runs(0, size + 1))


def _fields(state: PageState) -> dict[str, object]:
    return {name: getattr(state, name) for name in state.__slots__}


def test_one_tib_is_one_run() -> None:
    runs = PageRuns()
    one_tib = (1 << 40) >> 12
    for section in range(0, one_tib, 32768):
        runs.set(section, section + 32768, present=True, poisoned=True)
    assert len(runs) == 2  # the poisoned TiB and the absent rest
    assert runs.count(0, one_tib, lambda s: s.poisoned) == one_tib
