"""`patchscope impact`: what a patch reaches, read against the patches themselves."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from patchscope.cli import main
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, ROOT

SCHEMA = json.loads((ROOT / "patchscope" / "schema" / "impact.schema.json").read_text())


def _impact(capsys: pytest.CaptureFixture[str], patch: int) -> dict:
    assert main(["impact", str(REFERENCE_MANIFEST), "--patch", str(patch), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    return document


def _arch_definitions_changed_by(patch: int) -> set[str]:
    """arch/ files whose arch_add_memory definition line the patch rewrites."""
    mails = re.split(r"(?m)^From \S+ \w{3} \w{3} ", REFERENCE_MBOX.read_text())
    mail = next(m for m in mails if f"[RFC PATCH v2 {patch}/4]" in m.split("\n\n", 1)[0])
    found = set()
    for block in re.split(r"(?m)^(?=diff --git )", mail):
        path = re.match(r"diff --git a/(\S+)", block)
        if (
            path
            and path.group(1).startswith("arch/")
            and re.search(r"(?m)^\+int arch_add_memory\(", block)
        ):
            found.add(path.group(1))
    return found


def test_the_prototype_patch_reaches_across_arch_and_mm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = _impact(capsys, 2)
    files = _arch_definitions_changed_by(2)
    assert len(files) >= 5
    for path in files:
        node = f"function:{path}:arch_add_memory"
        assert node in doc["touched"]
        assert {
            "source": "function:mm/memory_hotplug.c:add_memory_resource",
            "target": node,
            "kind": "calls",
            "via": "direct",
        } in doc["crossing"]


def test_a_patch_inside_mm_crosses_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """Perturbed: 4/4 renames two helpers of mm/sparse.c and touches no architecture."""
    assert _arch_definitions_changed_by(4) == set()
    doc = _impact(capsys, 4)
    assert doc["touched"]
    assert all(":mm/sparse.c:" in node for node in doc["touched"] if node.startswith("function"))
    assert doc["crossing"] == []


def test_a_patch_the_series_lacks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["impact", str(REFERENCE_MANIFEST), "--patch", "9"]) == 2
    err = capsys.readouterr().err
    assert err == f"patchscope: no patch 9 in {REFERENCE_MANIFEST} (it has [1, 2, 3, 4])\n"
