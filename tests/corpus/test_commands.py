"""Every command on every real series gives a result, never a traceback; diffstats hold."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.corpus.conftest import CORPUS, command, index, series_names

each_series = pytest.mark.parametrize("series", series_names(), indirect=True)
_SUMMARY = re.compile(
    r"(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?"
)


def _entry(series: str) -> dict[str, Any]:
    (entry,) = [e for e in index() if e["file"] == series]
    return entry


def _totals(stat: dict[str, Any] | None) -> tuple[int, int, int]:
    assert stat is not None
    return stat["files"], stat["insertions"], stat["deletions"]


@each_series
@pytest.mark.parametrize(
    "argv",
    [
        ("stat", "--json"),
        ("check", "--json"),
        ("entities", "--json"),
        ("graph", "--format", "json"),
    ],
    ids=lambda argv: argv[0],
)
def test_command_gives_a_result(series: str, argv: tuple[str, ...]) -> None:
    done = command(argv[0], series, *argv[1:])
    assert done.code in (0, 1), done.stderr
    assert done.stderr == ""
    assert done.json()


@each_series
def test_report_is_written(series: str, report_root: Path) -> None:
    out = report_root / series
    done = command("report", series, "-o", str(out))
    assert done.code in (0, 1), done.stderr
    assert done.stderr == ""  # Graphviz comes with the install: the picture is drawn
    assert (out / "index.html").is_file()
    assert (out / "graph.svg").is_file()


@each_series
def test_patches_as_the_index_lists_them(series: str) -> None:
    entry = _entry(series)
    stat = command("stat", series, "--json").json()
    assert len(stat["patches"]) == entry["patches"]
    assert stat["series"]["version"] == entry["version"]
    assert (stat["cover"] is not None) == entry["has_cover_letter"]
    if entry["has_cover_letter"]:
        assert stat["cover"]["message_id"] == entry["cover_message_id"]


@each_series
def test_every_patch_diffstat_holds(series: str) -> None:
    """Each patch's claimed diffstat equals its diff, and together they make INDEX.json's sum."""
    stat = command("stat", series, "--json").json()
    for patch in stat["patches"]:
        assert patch["diffstat"]["ok"] is True, patch["number"]
        claimed, computed = patch["diffstat"]["claimed"], patch["diffstat"]["computed"]
        assert _totals(claimed) == _totals(computed)
        for path, count in claimed["per_file"].items():  # git may shorten a path to .../tail
            tail = path.removeprefix("...")
            (full,) = [p for p in computed["per_file"] if p == path or p.endswith(tail)]
            assert computed["per_file"][full] == count, path
    sums = [sum(_totals(p["diffstat"]["computed"])[i] for p in stat["patches"]) for i in range(3)]
    assert sums == _entry(series)["patch_diffstat_sums"]


@each_series
def test_cover_diffstat_is_composed_or_aligned(series: str) -> None:
    """The cover's claim is INDEX.json's line; the composition gives it, or git's alignment can."""
    entry = _entry(series)
    stat = command("stat", series, "--json").json()
    errors = [f for f in stat["findings"] if f["severity"] == "error"]
    assert errors == []
    line = entry["cover_diffstat_line"]
    if line is None:
        assert stat["cover"] is None or stat["cover"]["diffstat"]["claimed"] is None
        return
    match = _SUMMARY.search(line)
    assert match is not None
    expected = tuple(int(n or 0) for n in match.groups())
    diffstat = stat["cover"]["diffstat"]
    assert _totals(diffstat["claimed"]) == expected
    aligned = {f["file"] for f in stat["findings"] if f["rule"] == "cover-diffstat-alignment"}
    if _totals(diffstat["computed"]) != expected:
        assert aligned, "the composition differs from the cover with no alignment finding"
    assert diffstat["ok"] is True


def test_the_corpus_is_all_there() -> None:
    """A series dropped from INDEX.json would silently shrink every test above."""
    files = sorted(p.name for p in CORPUS.glob("*.mbox"))
    if not files:
        pytest.skip("the corpus is missing")
    assert files == sorted(e["file"] for e in index())
