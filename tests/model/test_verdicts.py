"""Per-patch verdicts: each reference patch's own words, its behaviour delta on the model,
and which of the functions it touches the replays run."""

from __future__ import annotations

import dataclasses

import pytest

from patchscope.graph.build import build_graph
from patchscope.model.verdicts import ARCH_FILES, runs, says, touched_functions
from patchscope.pipeline import analyse
from tests.conftest import REFERENCE_MANIFEST


@pytest.fixture(scope="module")
def analysis():  # type: ignore[no-untyped-def]
    return analyse(str(REFERENCE_MANIFEST), tree=None, offline=True)


@pytest.fixture(scope="module")
def graph(analysis):  # type: ignore[no-untyped-def]
    v = analysis.verified
    return build_graph(v.series, analysis.facts, v.dependencies, None)


def _patch(analysis, number: int):  # type: ignore[no-untyped-def]
    return analysis.verified.series.patches[number - 1]


def test_each_patch_says_what_its_mail_says(analysis) -> None:  # type: ignore[no-untyped-def]
    said = {p.number: dict(says(p)) for p in analysis.verified.series.patches}
    assert set(said[1]) == {"cleanup"}  # "cleanup memory offline path"
    # 2/4: "This patch shouldn't introduce any functional change."
    assert said[2] == {
        "no functional change": "This patch shouldn't introduce any functional change."
    }
    assert said[3] == {}
    assert set(said[4]) == {"rename"}  # "rename kmalloc_section_memmap, __kfree_section_memmap"


def test_a_patch_that_says_it_changes_behaviour_claims_nothing(analysis) -> None:  # type: ignore[no-untyped-def]
    two = _patch(analysis, 2)
    text = two.message.replace("shouldn't introduce any", "should introduce a")
    assert "no functional change" not in dict(says(dataclasses.replace(two, message=text)))


def test_touched_functions_come_from_the_graph(analysis, graph) -> None:  # type: ignore[no-untyped-def]
    # 4/4's diff renames the two helpers and edits their callers in mm/sparse.c only
    four = touched_functions(graph, 4)
    assert {f for f, _ in four} == {"mm/sparse.c"}
    assert {"alloc_section_memmap", "free_section_memmap"} <= {n for _, n in four}
    # 2/4 changes arch_add_memory in every arch the diffstat names that defines it
    arches = {f for f, n in touched_functions(graph, 2) if n == "arch_add_memory"}
    in_diff = {path for path in _patch(analysis, 2).computed.per_file if path.startswith("arch/")}
    assert arches == in_diff


def test_an_arch_function_runs_only_in_its_arch_replay() -> None:
    ran = {
        "x86_64": {"arch_add_memory", "__add_pages"},
        "ppc64": set(),
        "s390": set(),
        "arm64": set(),
    }
    assert runs("arch/x86/mm/init_64.c", "arch_add_memory", ran)
    assert not runs("arch/x86/mm/init_32.c", "arch_add_memory", ran)  # 32-bit x86
    assert not runs("arch/powerpc/mm/mem.c", "arch_add_memory", ran)
    assert not runs("arch/sh/mm/init.c", "arch_add_memory", ran)  # no sh model: never run
    assert runs("mm/memory_hotplug.c", "__add_pages", ran)
    assert not runs("mm/memory_hotplug.c", "online_pages", ran)
    assert set(ARCH_FILES) == set(ran)


# --- the replay: what a reviewer expects of each reference patch ----------------------------

# x86_64 facts (design.md), for the numbers the replay must show.
GIB, PAGE, STRUCT_PAGE = 1 << 30, 4096, 64
RANGE = 2 * GIB  # the standard scenarios hot-add 2 GiB
MEMMAP_PAGES = RANGE // PAGE * STRUCT_PAGE // PAGE  # 8192


@pytest.fixture(scope="module")
def stages(analysis):  # type: ignore[no-untyped-def]
    from patchscope.model.memory_hotplug.stages import model_name, series_model

    return series_model(analysis.verified.series, model_name(str(REFERENCE_MANIFEST)))


@pytest.fixture(scope="module")
def judged(analysis, stages, graph):  # type: ignore[no-untyped-def]
    from patchscope.checks import claim_mismatch
    from patchscope.model.verdicts import verdicts

    series = analysis.verified.series
    static = claim_mismatch.check(series, analysis.facts, analysis.tree)
    return {v.patch: v for v in verdicts(series, stages, graph, static)}


def _delta(v, label: str):  # type: ignore[no-untyped-def]
    (d,) = [d for d in v.deltas if d.scenario.label == label]
    return d.observables


def test_1_cleanup_of_the_offline_path_keeps_offline_accounting(judged) -> None:  # type: ignore[no-untyped-def]
    """1/4 moves the counting of offlined pages to __offline_isolated_pages' return value: a
    cleanup whose present/managed after offline, with holes or HWPoison pages, stay as they
    were; the offline replays run every function of the new path."""
    v = judged[1]
    assert v.deltas == ()
    assert not v.behaviour_changes
    offline_path = {"__offline_pages", "offline_isolated_pages_cb", "__offline_isolated_pages"}
    assert offline_path <= {label.rsplit(":", 1)[1] for label in v.executed}
    # the two v5.0 helpers 1/4 deletes run in the base tree's offline path
    deleted = {"check_pages_isolated", "offline_isolated_pages"}
    assert deleted <= {label.rsplit(":", 1)[1] for label in v.executed}
    assert v.unreached == ()


def test_2_says_no_functional_change_but_moves_a_device_ranges_memmap(judged) -> None:  # type: ignore[no-untyped-def]
    """2/4 says it "shouldn't introduce any functional change", but it hands a device-private
    devm_memremap_pages() range's altmap to add_pages(), where v5.0 passed NULL: from 2/4 on
    such a range holds its own memmap. The model contradicts the claim (an error), where the
    static check, which sees no changed condition, lets it pass; every modelled arch's
    arch_add_memory it rewrites runs, and the arches the model lacks are named."""
    v = judged[2]
    assert dict(v.says) == {
        "no functional change": "This patch shouldn't introduce any functional change."
    }
    moved = _delta(v, "hot-add x86_64 altmap=True driver=devm")
    assert moved["memmap_from_node_pages"] == (MEMMAP_PAGES, 0)
    assert moved["memmap_from_range_pages"] == (0, MEMMAP_PAGES)
    assert all("altmap=True driver=devm" in d.scenario.label for d in v.deltas)
    (claim,) = v.claims
    assert (claim.claim, claim.model, claim.static, claim.severity) == (
        "no functional change",
        "contradicted",
        "no finding",  # no claim-mismatch, nfc-proved or nfc-not-proved at 2/4
        "error",
    )
    assert any(line.startswith("hot-add x86_64 altmap=True driver=devm: ") for line in claim.why)
    ran = {label for label in v.executed if label.endswith(":arch_add_memory")}
    assert ran == {
        "arch/x86/mm/init_64.c:arch_add_memory",
        "arch/powerpc/mm/mem.c:arch_add_memory",
        "arch/s390/mm/init.c:arch_add_memory",
        "arch/arm64/mm/mmu.c:arch_add_memory",
    }
    assert "arch/sh/mm/init.c:arch_add_memory" in v.not_modelled
    assert "arch/x86/mm/init_32.c:arch_add_memory" in v.not_modelled
    assert any(line.startswith("not modelled: ") for line in claim.why)


def test_3_moves_the_memmap_into_the_hot_added_range(judged) -> None:  # type: ignore[no-untyped-def]
    """3/4: the memmap of the 2 GiB range moves from the node into the range, its head page
    counts the sections and the vmemmap pages, and online no longer hands those to the buddy."""
    v = judged[3]
    added = _delta(v, "hot-add x86_64")
    assert added["memmap_from_node_pages"] == (MEMMAP_PAGES, 0)
    assert added["memmap_from_range_pages"] == (0, MEMMAP_PAGES)
    assert added["refcount"] == (0, RANGE // (128 << 20))
    assert added["private"] == (0, MEMMAP_PAGES)
    onlined = _delta(v, "online x86_64")
    assert onlined["managed_pages"] == (RANGE // PAGE, RANGE // PAGE - MEMMAP_PAGES)
    assert "present_pages" not in onlined  # vmemmap pages stay present
    assert {"mark_vmemmap_pages", "init_altmap_memmap"} <= {e.rsplit(":", 1)[1] for e in v.executed}


def test_4_rename_changes_nothing_and_runs_the_new_names(judged) -> None:  # type: ignore[no-untyped-def]
    v = judged[4]
    assert set(dict(v.says)) == {"rename"}
    assert v.deltas == ()
    names = {label.rsplit(":", 1)[1] for label in v.executed}
    assert {"alloc_section_memmap", "free_section_memmap"} <= names
    assert v.unreached == ()


def test_a_behaviour_change_under_a_no_change_claim_shows(analysis, stages, graph) -> None:  # type: ignore[no-untyped-def]
    """Perturbed: stage 2 made to keep one page per onlined block out of the buddy's count."""
    from patchscope.model.verdicts import replay_stages, verdict

    def online_pages(k, pfn: int, nr_pages: int, online_type: str) -> None:  # type: ignore[no-untyped-def]
        k.call_base("online_pages", pfn, nr_pages, online_type)
        k.zone_of(pfn).managed_pages -= 1

    changed = dataclasses.replace(
        stages[2], overrides={**stages[2].overrides, "online_pages": online_pages}
    )
    perturbed = [*stages[:2], changed, *stages[3:]]
    v = verdict(analysis.verified.series.patches[1], replay_stages(perturbed), graph)
    assert "no functional change" in dict(v.says)
    block = 128 << 20  # x86_64's block size below 64 GiB of boot memory
    before = RANGE // PAGE
    assert _delta(v, "online x86_64")["managed_pages"] == (before, before - RANGE // block)


def test_verdicts_command(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from patchscope.cli import main

    assert main(["verdicts", str(REFERENCE_MANIFEST), "--offline", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    by_patch = {v["patch"]: v for v in document["verdicts"]}
    assert [p for p, v in sorted(by_patch.items()) if v["behaviour_changes"]] == [2, 3]
    assert by_patch[2]["claims"][0]["model"] == "contradicted"
    assert by_patch[2]["diffstat"]["files"] == 10  # 2/4's diff touches ten files
    assert main(["verdicts", str(REFERENCE_MANIFEST), "--offline"]) == 0
    out = capsys.readouterr().out
    assert out.count("behaviour: no change in any scenario") == 2
    no_model = tmp_path / "plain.toml"
    no_model.write_text('name = "x"\nmessage_id = "a@b"\nsources = ["nowhere.mbox"]\n')
    assert main(["verdicts", str(no_model), "--offline"]) == 2
    assert capsys.readouterr().err == "patchscope: no model for this series\n"
