"""The cover letter check where git's alignment over unseen lines can differ from ours."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.gen_mbox import generate
from patchscope.cli import main

# Seed 4 of the bench generator writes, through real git, a 12-patch series in which git's
# own diff of one multiply-edited file aligns repeated lines over code no hunk shows.
SEED, PATCHES = 4, 12


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(PATCHES, seed=SEED, out=tmp_path_factory.mktemp("gen") / "s.mbox")


def _stat(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict]:
    code = main(["stat", str(path), "--json"])
    return code, json.loads(capsys.readouterr().out)


def _net(text: str, path: str) -> int:
    """Lines `path` gains over the series: '+' minus '-' lines of its diff blocks in every mail."""
    net = 0
    for block in re.split(r"(?m)^(?=diff --git )", text):
        if block.startswith(f"diff --git a/{path} "):
            body = block.split("\n-- \n", 1)[0].splitlines()
            net += sum(1 for line in body if line.startswith("+") and not line.startswith("+++"))
            net -= sum(1 for line in body if line.startswith("-") and not line.startswith("---"))
    return net


def _edit_cover(text: str, path: str, count: int) -> str:
    cover_end = text.index("\nFrom ", 1)
    line = re.compile(rf"^( {re.escape(path)} +\| +)(\d+)( .*)$", re.M)
    head = line.sub(lambda m: f"{m.group(1)}{count}{m.group(3)}", text[:cover_end], count=1)
    return head + text[cover_end:]


def test_alignment_differences_are_noted_not_errors(
    capsys: pytest.CaptureFixture[str], series: Path
) -> None:
    code, doc = _stat(capsys, series)
    assert code == 0
    assert doc["cover"]["diffstat"]["ok"] is True
    noted = [f for f in doc["findings"] if f["rule"] == "cover-diffstat-alignment"]
    files = [f["file"] for f in noted if f["file"]]
    assert files, "the seed no longer produces an alignment difference"
    claimed = doc["cover"]["diffstat"]["claimed"]["per_file"]
    composed = doc["cover"]["diffstat"]["computed"]["per_file"]
    text = series.read_text()
    for path in files:
        assert claimed[path] != composed[path]
        assert claimed[path] >= abs(_net(text, path))
        assert (claimed[path] - composed[path]) % 2 == 0


@pytest.mark.parametrize("delta", ["odd", "below"])
def test_claims_outside_what_the_patches_allow_are_errors(
    capsys: pytest.CaptureFixture[str], series: Path, tmp_path: Path, delta: str
) -> None:
    _, doc = _stat(capsys, series)
    path = next(
        f["file"] for f in doc["findings"] if f["rule"] == "cover-diffstat-alignment" and f["file"]
    )
    text = series.read_text()
    composed = doc["cover"]["diffstat"]["computed"]["per_file"][path]
    # an odd step breaks the parity insertions minus deletions fixes; fewer changed lines
    # than the file gains or loses is impossible whatever the alignment
    floor = abs(_net(text, path))
    assert floor >= 2
    count = composed + 1 if delta == "odd" else floor - 2
    edited = tmp_path / "edited.mbox"
    edited.write_text(_edit_cover(text, path, count))
    code, doc = _stat(capsys, edited)
    assert code == 1
    errors = [f for f in doc["findings"] if f["rule"] == "cover-diffstat-mismatch"]
    assert [f["file"] for f in errors if f["file"]] == [path]
