"""The model's values as the report shows them, from hand-made claim results and verdicts."""

from __future__ import annotations

from patchscope.diff.model import Diffstat
from patchscope.model.claims import Claim, ClaimResult
from patchscope.model.verdicts import Scenario, ScenarioDelta, Verdict
from patchscope.report.modelpart import part_of

HOT_ADD = Scenario("hot-add", "x86_64")
OFFLINE = Scenario("offline", "x86_64", (("holes", "1"),))


def _verdict(patch: int, says: tuple[tuple[str, str], ...], deltas: tuple[ScenarioDelta, ...]):
    return Verdict(patch, f"patch {patch}", Diffstat(1, 1, 0), says, deltas, (), ())


def test_claims_flatten_with_their_reasons() -> None:
    claim = Claim("16 sections", "cover", "hot-add", (("size", "2G"),), "sections", 16, stage=3)
    results = [ClaimResult(claim, 16, True), ClaimResult(claim, None, False, "quote not found")]
    part = part_of(results, [], {})
    assert [(c.params, c.replayed, c.ok) for c in part.claims] == [
        ("size=2G stage=3", "16", True),
        ("size=2G stage=3", "(quote not found)", False),
    ]


def test_addresses_the_text_writes_in_hex_are_shown_in_hex() -> None:
    address = "0xffffea0004000000"
    va = Claim(address, "cover", "hot-add", (), "memmap_va_start", address)
    pages = Claim("512 pages", "cover", "hot-add", (), "vmemmap_pages / sections", 512)
    results = [ClaimResult(va, int(address, 16), True), ClaimResult(pages, 512.0, True)]
    assert [c.replayed for c in part_of(results, [], {}).claims] == [address, "512.0"]


def test_verdicts_pass_through_with_their_delta_as_lines() -> None:
    moved = ScenarioDelta(HOT_ADD, {"memmap_from_range_pages": (0, 8192)}, ("invariant-x",), ())
    verdicts = [
        _verdict(1, (("no functional change", "No functional change."),), (moved,)),
        _verdict(2, (("rename", "rename foo"),), ()),
    ]
    part = part_of([], verdicts, {})
    assert part.verdicts == {1: verdicts[0], 2: verdicts[1]}
    assert part.behaviour[1] == (
        "hot-add x86_64: memmap_from_range_pages 0 -> 8192",
        "hot-add x86_64: now fires invariant-x",
    )
    assert part.behaviour[2] == ()


def test_stage_rows_in_stage_then_scenario_order() -> None:
    observed = {
        (OFFLINE, 1): {"present_pages": 10},
        (HOT_ADD, 1): {"sections": 16, "pages": 524288},
        (HOT_ADD, 0): {"sections": 16},
    }
    rows = [(r.stage, r.flow, r.observable, r.value) for r in part_of([], [], observed).stages]
    assert rows == [
        (0, "hot-add x86_64", "sections", "16"),
        (1, "hot-add x86_64", "pages", "524288"),
        (1, "hot-add x86_64", "sections", "16"),
        (1, "offline x86_64 holes=1", "present_pages", "10"),
    ]


def test_stage_grid_marks_what_a_stage_changes() -> None:
    from patchscope.report.html import stage_grids

    observed = {
        (HOT_ADD, 0): {"memmap_from_range_pages": 0, "sections": 16},
        (HOT_ADD, 1): {"memmap_from_range_pages": 0, "sections": 16},
        (HOT_ADD, 2): {"memmap_from_range_pages": 8192, "sections": 16},
    }
    (grid,) = stage_grids(part_of([], [], observed).stages)
    assert grid.stages == (0, 1, 2)
    assert grid.rows == (
        ("memmap_from_range_pages", ("0", "0", "8192"), (False, False, True)),
        ("sections", ("16", "16", "16"), (False, False, False)),
    )
