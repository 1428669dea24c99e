"""`patchscope claims`: the reference manifest's claims all replayed and holding; a perturbed
manifest fails the claims it breaks; a series without a model is told so, exit 2."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from patchscope.cli import main
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX, ROOT

SCHEMA = json.loads((ROOT / "patchscope" / "schema" / "claims.schema.json").read_text())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["claims", *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def run_json(
    capsys: pytest.CaptureFixture[str], manifest: Path
) -> tuple[int, list[dict[str, Any]]]:
    code, out, _ = run(capsys, str(manifest), "--offline", "--json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    return code, document


def _manifest(tmp_path: Path, text: str) -> Path:
    """A copy of the reference manifest whose mbox source is the shared thread's path."""
    relative = '"../../shared/series/memmap-hotadd-rfc-v2/thread.mbox"'
    assert relative in text
    path = tmp_path / "copy.toml"
    path.write_text(text.replace(relative, json.dumps(str(REFERENCE_MBOX))))
    return path


def test_no_model_for_a_manifest_without_one(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = REFERENCE_MANIFEST.read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith("model =")]
    code, out, err = run(capsys, str(_manifest(tmp_path, "\n".join(lines))), "--offline")
    assert (code, out) == (2, "")
    assert err == "patchscope: no model for this series\n"


def test_no_model_for_a_plain_mbox(capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, str(REFERENCE_MBOX), "--offline")
    assert (code, err) == (2, "patchscope: no model for this series\n")


def test_reference_claims_all_hold(capsys) -> None:  # type: ignore[no-untyped-def]
    code, results = run_json(capsys, REFERENCE_MANIFEST)
    failed = [r for r in results if not r["ok"]]
    assert failed == []
    assert code == 0
    with REFERENCE_MANIFEST.open("rb") as handle:
        tables = tomllib.load(handle)["claim"]
    assert [r["quote"] for r in results] == [t["quote"] for t in tables]
    assert all(r["replayed"] is not None for r in results)


def test_reference_numbers_as_the_kernel_facts_give_them(capsys) -> None:  # type: ignore[no-untyped-def]
    """Replayed values, against arithmetic from design.md's x86_64 facts done here."""
    _, results = run_json(capsys, REFERENCE_MANIFEST)
    page, struct_page, vmemmap = 4096, 64, 0xFFFFEA0000000000

    def replayed(quote: str, observable: str) -> int:
        (r,) = [r for r in results if r["quote"] == quote and r["observable"] == observable]
        return int(r["replayed"])

    two_g, start = 2 << 30, 4 << 30
    assert replayed("- 16 sections", "sections") == two_g // (128 << 20)
    assert replayed("- 524288 pages", "pages") == two_g // page
    assert replayed("- 8192 vmemmap pages", "vmemmap_pages") == two_g // page * struct_page // page
    end = "memmap_va_end"
    assert replayed("The range of pages is: 0xffffea0004000000 - 0xffffea0006000000", end) == (
        vmemmap + (start + two_g) // page * struct_page
    )
    nine = replayed("hot-add 9GB on x86_64: head->_refcount = 72 sections", "refcount")
    assert nine == (9 << 30) // (128 << 20)


def test_a_perturbed_claim_fails_and_exits_1(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = REFERENCE_MANIFEST.read_text()
    # the 2 GiB example moved to 8 GiB: its struct pages no longer start at ...4000000
    perturbed = text.replace('size = "2G", start = "4G"', 'size = "2G", start = "8G"')
    code, results = run_json(capsys, _manifest(tmp_path, perturbed))
    assert code == 1
    by_observable = {
        r["observable"]: r for r in results if r["quote"].startswith("The range of pages is")
    }
    assert not by_observable["memmap_va_start"]["ok"]
    assert by_observable["memmap_va_start"]["replayed"] == 0xFFFFEA0000000000 + (8 << 30) // 64
    counts = [r for r in results if r["quote"] == "- 16 sections"]
    assert counts[0]["ok"]  # the count does not depend on where the range starts


def test_a_quote_not_in_the_text_fails_with_its_reason(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = REFERENCE_MANIFEST.read_text().replace('"- 524288 pages"', '"- 524289 pages"')
    code, results = run_json(capsys, _manifest(tmp_path, text))
    assert code == 1
    (r,) = [r for r in results if r["quote"] == "- 524289 pages"]
    assert (r["ok"], r["replayed"], r["reason"]) == (False, None, "quote not found in cover")


def test_table_output(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, str(REFERENCE_MANIFEST), "--offline")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1].endswith("claims, 0 failed")
