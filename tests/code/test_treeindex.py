"""The tree's identifier index: reused across series, stale files read again, never in the
tree, a broken index file rebuilt, and every answer the same as without the index."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from patchscope.cli import main
from patchscope.code import treeindex
from patchscope.code.tree import GrepHit, open_tree
from tests.code.treeseries import TreeSeries, make_tree_series
from tests.conftest import git

FILES = {
    "mm/a.c": "int alpha(void)\n{\n\treturn beta() + s.gamma;\n}\n",
    "mm/b.h": "int beta(void);\n/* alphabet, alphas, _alpha */\n",
    "arch/x/c.c": "static int delta = 0x1f + 2gamma;\n",
    "README": "alpha beta\n",
}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> TreeSeries:
    return make_tree_series(tmp_path_factory.mktemp("tree"))


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PATCHSCOPE_TREE_CACHE", raising=False)
    return tmp_path / "cache" / "tree-index"


def _tree(where: Path) -> Path:
    for name, text in FILES.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_text(text)
    return where


def _hits(root: Path, words: list[str]) -> list[tuple[str, int]]:
    return [(h.file, h.line) for h in open_tree(str(root)).grep(words)]


def _no_index(root: Path, words: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[GrepHit, ...]:
    with monkeypatch.context() as patch:
        patch.setenv("PATCHSCOPE_TREE_CACHE", "off")
        return open_tree(str(root)).grep(words)


def _no_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("the index was built again")

    monkeypatch.setattr(treeindex, "_build", refuse)


def test_an_index_built_for_some_names_answers_for_others(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "tree")
    assert _hits(root, ["alpha"]) == [("mm/a.c", 1)]  # "alphabet" is another word
    assert len(list(cache.glob("*.sqlite"))) == 1
    _no_rebuild(monkeypatch)
    # whole words only: 2gamma holds no word gamma, 0x1f no word x1f
    assert _hits(root, ["beta", "gamma", "x1f"]) == [("mm/a.c", 3), ("mm/b.h", 1)]
    assert _hits(root, ["s.gamma"]) == [("mm/a.c", 3)]
    assert _hits(root, ["delta"]) == [("arch/x/c.c", 1)]
    assert _hits(root, ["README", "nothing_here"]) == []


def test_a_changed_file_is_read_again(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "tree")
    assert _hits(root, ["alpha", "delta"]) == [("arch/x/c.c", 1), ("mm/a.c", 1)]
    _no_rebuild(monkeypatch)
    before = os.stat(root / "mm/a.c")
    # the same size, another time: only the stamp tells the words changed
    (root / "mm/a.c").write_text(FILES["mm/a.c"].replace("alpha", "omega"))
    os.utime(root / "mm/a.c", ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    (root / "mm/new.c").write_text("void delta_two(void) { delta = 1; }\n")
    expected = [("arch/x/c.c", 1), ("mm/new.c", 1)]
    assert _hits(root, ["alpha", "delta", "omega"]) == [*expected[:1], ("mm/a.c", 1), *expected[1:]]
    assert _hits(root, ["alpha", "delta"]) == expected  # read again once, then remembered
    (root / "mm/new.c").unlink()
    assert _hits(root, ["alpha", "delta"]) == expected[:1]
    for words in (["alpha", "delta"], ["omega", "beta"]):
        assert open_tree(str(root)).grep(words) == _no_index(root, words, monkeypatch)


def test_a_removed_or_emptied_file_is_no_longer_found(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "tree")
    assert _hits(root, ["beta", "delta"]) == [("arch/x/c.c", 1), ("mm/a.c", 3), ("mm/b.h", 1)]
    _no_rebuild(monkeypatch)
    (root / "mm/b.h").unlink()
    (root / "arch/x/c.c").write_text("static int epsilon;\n")  # another size: another stamp
    assert _hits(root, ["beta", "delta", "epsilon"]) == [("arch/x/c.c", 1), ("mm/a.c", 3)]
    assert _hits(root, ["delta"]) == []


def _git_hits(repo: Path, rev: str, words: list[str]) -> list[tuple[str, int]]:
    return [(h.file, h.line) for h in open_tree(f"git:{repo}@{rev}").grep(words)]


def _git_grep(repo: Path, rev: str, words: list[str]) -> list[tuple[str, int]]:
    """What git grep itself finds at `rev`, the index left out."""
    argv = ["grep", "-n", "-w", "-F", *(f"-e{word}" for word in words), rev, "--", "*.c", "*.h"]
    try:
        out = git(repo, *argv)
    except subprocess.CalledProcessError:  # git grep's "nothing found"
        return []
    rows = (line.removeprefix(f"{rev}:").split(":", 2) for line in out.splitlines())
    return [(file, int(number)) for file, number, _ in rows]


def test_a_revision_is_searched_with_its_own_blobs(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _tree(tmp_path / "repo")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    assert _git_hits(repo, "main", ["beta"]) == [("mm/a.c", 3), ("mm/b.h", 1)]
    assert len(list(cache.glob("*.sqlite"))) == 1
    _no_rebuild(monkeypatch)
    # a second commit: one file gains a word, one loses it, one is new, one is gone
    (repo / "mm/b.h").write_text("int omega(void);\n")
    (repo / "arch/x/c.c").unlink()
    (repo / "mm/new.c").write_text("int beta_too;\nint delta = beta;\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "second")
    git(repo, "tag", "first", "main~1")
    for rev, words in (("main", ["beta", "omega", "delta"]), ("first", ["beta", "delta"])):
        assert _git_hits(repo, rev, words) == _git_grep(repo, rev, words) != []
    assert _git_hits(repo, "main", ["gamma"]) == [("mm/a.c", 3)]  # s.gamma; 2gamma is gone


def test_a_broken_index_file_is_ignored_and_rebuilt(tmp_path: Path, cache: Path) -> None:
    root = _tree(tmp_path / "tree")
    assert _hits(root, ["beta"]) == [("mm/a.c", 3), ("mm/b.h", 1)]
    (index,) = cache.glob("*.sqlite")
    for broken in (b"not a database at all", b""):
        index.write_bytes(broken)
        assert _hits(root, ["beta"]) == [("mm/a.c", 3), ("mm/b.h", 1)]
        with sqlite3.connect(index) as db:
            assert db.execute("SELECT value FROM meta").fetchone() == (treeindex.VERSION,)
        db.close()


def test_an_index_in_a_cache_folder_inside_the_tree_is_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "tree")
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(root / ".cache"))
    assert _hits(root, ["beta"]) == [("mm/a.c", 3), ("mm/b.h", 1)]
    assert not (root / ".cache").exists()


def _check(made: TreeSeries, source: Path, capsys: pytest.CaptureFixture[str]) -> str:
    argv = ["check", str(source), "--tree", str(made.repo), "--json", "--offline", "--no-model"]
    assert main(argv) in (0, 1)
    return capsys.readouterr().out


def _tree_bytes(repo: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(repo.rglob("*")) if p.is_file()}


def test_check_with_a_warm_index_is_check_without_one(
    made: TreeSeries,
    cache: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _tree_bytes(made.repo)
    with monkeypatch.context() as patch:
        patch.setenv("PATCHSCOPE_TREE_CACHE", "off")
        plain = {s: _check(made, s, capsys) for s in (made.mbox, made.patch_files[-1])}
    assert not cache.exists()
    # one series builds the index, the other finds it warm
    cold = _check(made, made.patch_files[-1], capsys)
    _no_rebuild(monkeypatch)
    warm = _check(made, made.mbox, capsys)
    assert cold == plain[made.patch_files[-1]] and warm == plain[made.mbox]
    assert '"callers"' in warm or '"findings"' in warm  # a real report, not an error
    assert _tree_bytes(made.repo) == before


def test_the_index_of_a_tree_that_is_gone_is_removed(tmp_path: Path, cache: Path) -> None:
    first, second = _tree(tmp_path / "first"), _tree(tmp_path / "second")
    _hits(first, ["beta"])
    (of_first,) = cache.glob("*.sqlite")
    _hits(second, ["beta"])
    (of_second,) = set(cache.glob("*.sqlite")) - {of_first}  # both trees exist: both kept
    shutil.rmtree(first)
    of_second.unlink()  # the next search of the second tree builds its index again
    assert _hits(second, ["beta"]) == [("mm/a.c", 3), ("mm/b.h", 1)]
    assert set(cache.glob("*.sqlite")) == {of_second}


def test_a_cache_folder_that_cannot_be_made_reads_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "tree")
    (tmp_path / "plain-file").write_text("")
    monkeypatch.setenv("PATCHSCOPE_CACHE_DIR", str(tmp_path / "plain-file" / "cache"))
    assert _hits(root, ["beta"]) == [("mm/a.c", 3), ("mm/b.h", 1)]
