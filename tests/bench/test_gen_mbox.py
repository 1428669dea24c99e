"""The benchmark's generated series: a well-formed thread that `patchscope stat` fully verifies."""

from __future__ import annotations

import json
import mailbox
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.gen_mbox import Shape, generate
from patchscope.cli import main

PATCHES = 12
SUMMARY = re.compile(
    r"^ (\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?$",
    re.MULTILINE,
)
DIFF_PART = re.compile(r"^diff --git .*?(?=^-- \n)", re.DOTALL | re.MULTILINE)


@pytest.fixture(scope="module")
def distinct(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "distinct.mbox"
    return generate(PATCHES, seed=7, out=out, shape=Shape(reuse_files=False))


def bodies(path: Path) -> list[str]:
    return [str(m.get_payload()) for m in mailbox.mbox(path)]


def summary(text: str) -> tuple[int, int, int]:
    """The last diffstat summary line in `text`, as (files, insertions, deletions)."""
    *_, found = SUMMARY.finditer(text)
    files, added, removed = found.groups()
    return int(files), int(added or 0), int(removed or 0)


def numstat(diff: str, cwd: Path) -> tuple[int, int, int]:
    """git's own count of a diff; git refuses a hunk whose header counts are wrong."""
    done = subprocess.run(
        ["git", "apply", "--numstat"], input=diff, text=True, cwd=cwd, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    return len(rows), sum(int(r[0]) for r in rows), sum(int(r[1]) for r in rows)


def stat_json(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict[str, Any]]:
    code = main(["stat", "--json", str(path)])
    return code, json.loads(capsys.readouterr().out)


def test_a_cover_and_numbered_patches_threaded_to_it(distinct: Path) -> None:
    mails = list(mailbox.mbox(distinct))
    assert [m["Subject"].split("]")[0] for m in mails] == [
        f"[PATCH {n:02d}/{PATCHES}" for n in range(PATCHES + 1)
    ]
    ids = [m["Message-Id"] for m in mails]
    assert len(set(ids)) == len(ids)
    assert all(m["In-Reply-To"] == ids[0] for m in mails[1:])
    assert mails[0]["In-Reply-To"] is None


def test_each_mails_diffstat_is_what_git_counts_in_its_diff(distinct: Path, tmp_path: Path) -> None:
    patches = bodies(distinct)[1:]
    for body in patches:
        assert summary(body) == numstat("".join(DIFF_PART.findall(body)), tmp_path)
    # No file is touched twice here, so the cover's total is the sum of the patches'.
    totals = [sum(column) for column in zip(*(summary(b) for b in patches), strict=True)]
    assert summary(bodies(distinct)[0]) == tuple(totals)


def test_the_same_seed_gives_the_same_bytes(distinct: Path, tmp_path: Path) -> None:
    again = generate(PATCHES, seed=7, out=tmp_path / "a.mbox", shape=Shape(reuse_files=False))
    other = generate(PATCHES, seed=8, out=tmp_path / "b.mbox", shape=Shape(reuse_files=False))
    assert again.read_bytes() == distinct.read_bytes()
    assert other.read_bytes() != distinct.read_bytes()


def test_patchscope_stat_verifies_every_diffstat(
    distinct: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = stat_json(capsys, distinct)
    assert code == 0
    assert [p["number"] for p in report["patches"]] == list(range(1, PATCHES + 1))
    assert all(p["diffstat"]["ok"] for p in report["patches"])
    assert report["cover"]["diffstat"]["ok"] is True
    assert report["findings"] == []


def test_an_edited_diffstat_line_is_caught(
    distinct: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Perturbed twin of the test above: one file's count in patch 5 made one larger."""
    text = distinct.read_text()
    fifth = text.index("Subject: [PATCH 05/")
    line = re.compile(r"^ (\S+) +\| (\d+) ", re.MULTILINE).search(text, fifth)
    assert line is not None
    count = int(line.group(2))
    edited = text[: line.start(2)] + str(count + 1) + text[line.end(2) :]
    broken = tmp_path / "edited.mbox"
    broken.write_text(edited)
    code, report = stat_json(capsys, broken)
    assert code == 1
    bad = [p["number"] for p in report["patches"] if not p["diffstat"]["ok"]]
    assert bad == [5]
    tail = line.group(1).removeprefix("...")  # git may have shortened a long path
    flagged = [f for f in report["findings"] if f["rule"] == "diffstat-mismatch"]
    assert [(f["patch"], f["file"].endswith(tail)) for f in flagged] == [(5, True)]
