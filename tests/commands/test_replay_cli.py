"""`patchscope replay` and `patchscope flows` from the command line, JSON against the schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from patchscope.cli import main
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, ROOT

SCHEMA = json.loads((ROOT / "patchscope" / "schema" / "replay.schema.json").read_text())


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main(list(argv)) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    return document


def test_replay_defaults_to_the_reference_series_last_stage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = _json(capsys, "replay", "hot-add", "--size", "2G", "--start", "0x100000000", "--json")
    assert isinstance(doc, dict)
    assert (doc["flow"], doc["arch"], doc["stage"]) == ("hot-add", "x86_64", 4)
    assert doc["observables"]["memmap_from_range_pages"] == (2 << 30) // 4096 * 64 // 4096
    assert doc["trace"][0]["function"] == "add_memory"
    sections = (2 << 30) >> 27
    assert doc["steps"] == [
        {
            "step": "hot-add",
            "delta": {
                "sections_present": sections,
                "memory_blocks": sections,
                "memmap_backing_pages": doc["observables"]["vmemmap_pages"],
            },
        }
    ]


def test_all_stages_are_a_list_with_deltas(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(
        capsys, "replay", "hot-add", "--series", str(REFERENCE_MANIFEST), "--all-stages", "--json"
    )
    assert isinstance(doc, list)
    assert [d["stage"] for d in doc] == [0, 1, 2, 3, 4]
    assert [bool(d["delta"]) for d in doc] == [False, False, False, True, False]


def test_a_perturbed_stage_and_arch(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(capsys, "replay", "hot-add", "--stage", "2", "--arch", "arm64", "--json")
    assert isinstance(doc, dict)
    assert doc["stage"] == 2
    assert doc["observables"]["memmap_from_range_pages"] == 0


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "online", "--stage", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("online on x86_64 at stage 0\nobservables:\n")
    assert "  present_pages: 524288\n" in out
    assert "  online memory32: node0.present_pages +32768," in out


def test_a_series_without_a_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "hot-add", "--series", str(REFERENCE_MBOX)]) == 2
    assert capsys.readouterr().err == "patchscope: no model for this series\n"


def test_a_bad_size_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "hot-add", "--size", "3X"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("patchscope: --size: bad size or address '3X'") and err.count("\n") == 1


def test_flows_lists_each_flow_and_its_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "--json"]) == 0
    flows = {f["name"]: f for f in json.loads(capsys.readouterr().out)}
    assert {"hot-add", "online", "offline", "hot-remove", "lifecycle"} <= set(flows)
    assert "hwpoison" in flows["offline"]["params"]
    assert main(["flows"]) == 0
    assert "lifecycle: hot-add, online, offline, hot-remove in turn" in capsys.readouterr().out


def test_driver_and_chunk_options(capsys: pytest.CaptureFixture[str]) -> None:
    """--driver picks who hot-adds (Hyper-V: 128 MiB per add_memory() call), --chunk
    overrides the size of each call."""
    argv = ("replay", "hot-add", "--size", "1G", "--start", "4G", "--stage", "0", "--json")
    hyperv = _json(capsys, *argv, "--driver", "hyperv")
    chunked = _json(capsys, *argv, "--driver", "hyperv", "--chunk", "256M")
    assert isinstance(hyperv, dict) and isinstance(chunked, dict)
    for doc, chunk in ((hyperv, 128 << 20), (chunked, 256 << 20)):
        adds = [t["args"] for t in doc["trace"] if t["function"] == "add_memory"]
        starts = range(4 << 30, 5 << 30, chunk)
        assert adds == [f"0, {start:#x}, {chunk:#x}, hyperv" for start in starts]
    assert chunked["params"]["chunk"] == 256 << 20
    assert main(["replay", "hot-add", "--chunk", "0"]) == 2
    assert "--chunk 0 is not a positive size" in capsys.readouterr().err


def _poisoned_reads(capsys: pytest.CaptureFixture[str], stage: str, *config: str) -> int:
    doc = _json(capsys, "replay", "online", "--stage", stage, "--json", "--config", *config)
    assert isinstance(doc, dict)
    return sum(f["rule"] == "invariant-poisoned-read" for f in doc["findings"])


def test_debug_vm_pgflags_turns_the_poisoned_read_check_on_and_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Patch 3 leaves the memmap poisoned where online reads it; only a kernel with
    DEBUG_VM_PGFLAGS checks PageXxx() on a poisoned struct page."""
    assert _poisoned_reads(capsys, "3", "CONFIG_DEBUG_VM_PGFLAGS=y") > 0
    assert _poisoned_reads(capsys, "3", "CONFIG_DEBUG_VM_PGFLAGS=n") == 0
    assert _poisoned_reads(capsys, "3", "CONFIG_DEBUG_VM=n") == 0  # PGFLAGS depends on it
    assert _poisoned_reads(capsys, "2", "CONFIG_DEBUG_VM_PGFLAGS=y") == 0  # before patch 3


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ("CONFIG_DEBUG_VM_PGFLAGS=m", "CONFIG_DEBUG_VM_PGFLAGS=m: a bool option is built in"),
        ("CONFIG_NUMA=y", "unknown key 'CONFIG_NUMA' (accepted: CONFIG_DEBUG_VM, "),
        ("debug_vm=n", "unknown key 'debug_vm'"),
    ],
)
def test_a_bad_config_option_is_one_line(
    capsys: pytest.CaptureFixture[str], config: str, problem: str
) -> None:
    assert main(["replay", "hot-add", "--config", config]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"patchscope: --config: {problem}") and err.count("\n") == 1
