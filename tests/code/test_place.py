"""Placing hunks in memory, checked against GNU patch and git on the same trees."""

from __future__ import annotations

import difflib
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from patchscope.code.place import _find, place, place_series
from patchscope.code.tree import open_tree
from patchscope.diff.parse import parse_diff
from patchscope.pipeline import load_series
from tests.code.treeseries import OFFSET, TreeSeries, make_tree_series
from tests.conftest import git

_PATCHING = re.compile(r"patching file (\S+)")
_HUNK = re.compile(r"Hunk #(\d+) (succeeded|FAILED) at (\d+)(?: \(offset (-?\d+) lines?\))?")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> TreeSeries:
    return make_tree_series(tmp_path_factory.mktemp("place"))


def _gnu_patch(tree: Path, patches: tuple[Path, ...]) -> list[tuple[str, bool, int]]:
    """Apply with GNU patch (no fuzz, rejects dropped): (file, applied, offset) per hunk,
    in the order patch reports them."""
    placed: list[tuple[str, bool, int]] = []
    for mail in patches:
        done = subprocess.run(
            ["patch", "-p1", "--fuzz=0", "-f", "-r", "-", "--no-backup-if-mismatch", "-i", mail],
            cwd=tree,
            capture_output=True,
            text=True,
        )
        file = ""
        hunks_seen = 0
        for line in done.stdout.splitlines():
            if found := _PATCHING.match(line):
                if file:
                    placed.extend((file, True, 0) for _ in range(_count(mail, file) - hunks_seen))
                file, hunks_seen = found[1], 0
            elif found := _HUNK.search(line):
                hunks_seen += 1
                placed.append((file, found[2] == "succeeded", int(found[4] or 0)))
        placed.extend((file, True, 0) for _ in range(_count(mail, file) - hunks_seen))
    return placed


def _count(mail: Path, file: str) -> int:
    """Hunks of `file` in the mail; patch says nothing about hunks that apply in place."""
    diff = mail.read_text().split(f"+++ b/{file}\n", 1)[1].split("\ndiff --git", 1)[0]
    return sum(1 for line in diff.splitlines() if line.startswith("@@ "))


def _export(made: TreeSeries, rev: str, where: Path) -> Path:
    where.mkdir()
    for name in git(made.repo, "ls-tree", "-r", "--name-only", rev).split():
        target = where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(git(made.repo, "show", f"{rev}:{name}"))
    return where


@pytest.mark.needs_tool("patch", apt="patch")  # GNU patch
def test_placement_matches_gnu_patch_on_a_moved_base(made: TreeSeries, tmp_path: Path) -> None:
    series = load_series(str(made.mbox))
    placement = place_series(series, open_tree(f"git:{made.repo}@main"))
    checkout = _export(made, "main", tmp_path / "main")
    expected = _gnu_patch(checkout, made.patch_files)
    got = [(h.file, h.applied, h.offset or 0) for h in placement.hunks]
    assert got == expected
    assert (("mm/memory_hotplug.c", True, OFFSET)) in got
    assert [h.header for h in placement.hunks if not h.applied] == ["@@ -8,6 +8,8 @@"]
    # what is left after the series, the failed hunk left out, is what patch wrote
    for file in placement.final.files:
        assert file.text == (checkout / file.path).read_text()


def test_placement_on_the_series_own_base_is_exact(made: TreeSeries) -> None:
    series = load_series(str(made.mbox))
    placement = place_series(series, open_tree(f"git:{made.repo}@main~1"))
    assert all(h.applied and h.offset == 0 and h.placed == h.stated for h in placement.hunks)
    assert placement.findings == ()
    for file in placement.final.files:
        assert file.text == git(made.repo, "show", f"series:{file.path}")
    first = placement.stages[1]
    assert first.patch == 1
    assert first.text("mm/memory_hotplug.c") == git(
        made.repo, "show", "series~1:mm/memory_hotplug.c"
    )


def test_stages_keep_the_base_and_every_patch(made: TreeSeries) -> None:
    series = load_series(str(made.mbox))
    placement = place_series(series, open_tree(f"git:{made.repo}@main"))
    assert [s.patch for s in placement.stages] == [0, 1, 2]
    assert placement.stages[0].text("mm/memory_hotplug.c") == git(
        made.repo, "show", "main:mm/memory_hotplug.c"
    )


def _by_hand(old: list[str], new: list[str], path: str) -> str:
    """A one-file unified diff of two texts, as difflib writes it under git's headers."""
    body = difflib.unified_diff(old, new, f"a/{path}", f"b/{path}")
    return f"diff --git a/{path} b/{path}\n" + "".join(body)


BASE = [f"line {i}\n" for i in range(1, 31)]
CHANGED = [*BASE[:14], "line 15 changed\n", *BASE[15:]]  # hunk pre-image: lines 12..18


def _placed(tree: list[str]) -> tuple[int, int | None, int | None]:
    files = parse_diff(_by_hand(BASE, CHANGED, "mm/a.c")).files
    placement = place([(1, files)], {"mm/a.c": "".join(tree)}.get)
    (hunk,) = placement.hunks
    return hunk.stated, hunk.placed, hunk.offset


def test_nearest_match_wins_in_either_direction() -> None:
    """The pre-image occurs 2 lines above and 7 below the stated place: 2 above wins."""
    pre_image = BASE[11:18]
    tree = BASE[2:20] + pre_image + BASE[20:]
    assert _placed(tree) == (12, 10, -2)


@pytest.mark.parametrize("seed", range(5))
def test_the_place_found_is_the_nearest_of_all_places_that_match(seed: int) -> None:
    # an independent reading of "nearest, the later of two as near": every place tried
    rng = random.Random(seed)
    for _ in range(2000):
        lines = [rng.choice("ab\n") for _ in range(rng.randint(0, 12))]
        pre = [rng.choice("ab\n") for _ in range(rng.randint(1, 4))]
        want, lowest = rng.randint(-3, 15), rng.randint(0, 6)
        highest = len(lines) - len(pre)
        aim = min(max(want, lowest), max(highest, lowest))
        matches = [at for at in range(lowest, highest + 1) if lines[at : at + len(pre)] == pre]
        expected = min(matches, key=lambda at: (abs(at - aim), -at), default=None)
        assert _find(lines, pre, want, lowest) == expected, (lines, pre, want, lowest)


def test_a_hunk_moved_down_is_found_below() -> None:
    tree = BASE[:5] + [f"new {i}\n" for i in range(4)] + BASE[5:]
    assert _placed(tree) == (12, 16, 4)


def test_a_hunk_with_nothing_to_match_is_left_out() -> None:
    tree = [line.replace("line 16", "line sixteen") for line in BASE]
    files = parse_diff(_by_hand(BASE, CHANGED, "mm/a.c")).files
    placement = place([(1, files)], {"mm/a.c": "".join(tree)}.get)
    assert [h.applied for h in placement.hunks] == [False]
    assert placement.final.text("mm/a.c") == "".join(tree)  # the stage goes on without it
    (finding,) = placement.findings
    assert (finding.rule, finding.severity, finding.patch, finding.file) == (
        "hunk-not-applied",
        "error",
        1,
        "mm/a.c",
    )
    assert "@@ -12,7 +12,7 @@" in finding.message


_CREATE = (
    "diff --git a/mm/new.c b/mm/new.c\nnew file mode 100644\nindex 0000000..1111111\n"
    "--- /dev/null\n+++ b/mm/new.c\n@@ -0,0 +1 @@\n+int x;\n"
)


def test_a_created_file_that_exists_and_a_changed_file_that_does_not() -> None:
    created = parse_diff(_CREATE).files
    changed = parse_diff(_by_hand(["int y;\n"], ["int z;\n"], "mm/gone.c")).files
    placement = place([(1, created), (2, changed)], {"mm/new.c": "int x;\n"}.get)
    assert [(h.patch, h.applied) for h in placement.hunks] == [(1, False), (2, False)]
    assert [f.rule for f in placement.findings] == ["hunk-not-applied"] * 2
    nothing: dict[str, str] = {}
    fresh = place([(1, created)], nothing.get)
    assert fresh.final.text("mm/new.c") == "int x;\n"
    assert fresh.stages[0].text("mm/new.c") is None


def test_added_deleted_and_renamed_files_follow_git(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "mm").mkdir()
    body = "".join(f"line {i}\n" for i in range(1, 41))
    (repo / "mm" / "old.c").write_text(body)
    (repo / "mm" / "doomed.c").write_text("int doomed;\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "mv", "mm/old.c", "mm/new.c")
    (repo / "mm" / "new.c").write_text(body.replace("line 3\n", "line three\n"))
    (repo / "mm" / "born.c").write_text("int born;\n")
    git(repo, "rm", "-q", "mm/doomed.c")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "move things")
    out = tmp_path / "out"
    git(repo, "format-patch", "-q", "-M", "-o", str(out), "HEAD~1..HEAD")
    series = load_series(str(out))
    assert {d.status for d in series.patches[0].files} == {"renamed", "added", "deleted"}
    placement = place_series(series, open_tree(f"git:{repo}@HEAD~1"))
    assert all(h.applied and h.offset == 0 for h in placement.hunks)
    final = {f.path: f.text for f in placement.final.files}
    tip = {name: git(repo, "show", f"HEAD:{name}") for name in ("mm/new.c", "mm/born.c")}
    assert final == {"mm/old.c": None, "mm/doomed.c": None, **tip}


def test_copy_of_the_series_tree_is_untouched(made: TreeSeries, tmp_path: Path) -> None:
    """Placement never writes: a copy of the checkout is byte-identical afterwards."""
    copy = tmp_path / "copy"
    shutil.copytree(made.repo, copy)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    place_series(load_series(str(made.mbox)), open_tree(str(copy)))
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before
