"""A promise of unchanged behaviour judged by the model: contradicted by a changed scenario,
"not exercised" while a modelled function it changes never ran; and its twin, a 2/4-like
patch that keeps the device-private altmap NULL, which nothing contradicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchscope.graph.build import build_graph
from patchscope.model.memory_hotplug.stages import Stage, series_model
from patchscope.model.verdicts import claim_findings, replay_stages, verdict
from patchscope.pipeline import analyse
from tests.conftest import REFERENCE_MBOX

# 2/4's kernel/memremap.c line that lends the driver's altmap to device-private memory
LENDS = "+\trestrictions.altmap = altmap;"
KEEPS_NULL = "+\t(void)altmap;"  # the twin: restrictions stays `= {}`, its altmap NULL


def _series_stages_graph(path: Path):  # type: ignore[no-untyped-def]
    analysis = analyse(str(path), tree=None, offline=True)
    v = analysis.verified
    graph = build_graph(v.series, analysis.facts, v.dependencies, None)
    return v.series, series_model(v.series, "memmap_hotadd_rfc_v2"), graph


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    text = REFERENCE_MBOX.read_text()
    assert text.count(LENDS) == 1
    path = tmp_path_factory.mktemp("twin") / "twin.mbox"
    path.write_text(text.replace(LENDS, KEEPS_NULL))
    return _series_stages_graph(path)


def test_the_reference_2_4_is_a_contradicted_claim_finding(
    reference_stages: list[Stage],
    reference_replays: dict,  # type: ignore[type-arg]
) -> None:
    series, _, _ = _series_stages_graph(REFERENCE_MBOX)
    (found,) = [f for f in claim_findings(series, reference_replays) if f.patch == 2]
    assert (found.rule, found.severity) == ("model-claim-contradicted", "error")
    assert found.evidence[0] == "says: This patch shouldn't introduce any functional change."
    assert any(
        "altmap=True driver=devm: memmap_from_range_pages 0 -> " in e for e in found.evidence
    )


def test_the_twin_that_keeps_the_altmap_null_is_not_contradicted(twin) -> None:  # type: ignore[no-untyped-def]
    series, stages, graph = twin
    replays = replay_stages(stages)
    two = verdict(series.patches[1], replays, graph)
    assert two.deltas == ()
    (claim,) = two.claims
    assert claim.model in ("holds", "not exercised")
    assert claim.model != "contradicted"
    assert not [f for f in claim_findings(series, replays) if f.patch == 2]


def test_a_claim_whose_functions_never_ran_is_not_exercised(twin) -> None:  # type: ignore[no-untyped-def]
    """Without the devm scenarios, 2/4's devm_memremap_pages() runs in no replay: the claim
    cannot hold, and the verdict names what was not run."""
    series, stages, graph = twin
    replays = {key: r for key, r in replay_stages(stages).items() if "devm" not in key[0].label}
    two = verdict(series.patches[1], replays, graph)
    (claim,) = two.claims
    assert claim.model == "not exercised"
    assert "kernel/memremap.c:devm_memremap_pages" in two.unreached
    assert any("kernel/memremap.c:devm_memremap_pages" in line for line in claim.why)
