"""open_tree and tree_facts on a self-written base tree, as a directory and as git:PATH@REV."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from patchscope.code.tree import TreeFacts, matching_lines, open_tree, tree_facts, words_pattern
from patchscope.errors import SourceError
from patchscope.ingest.series import Series
from patchscope.pipeline import load_series
from tests.code.treeseries import FACTS, TreeSeries, make_tree_series
from tests.conftest import git


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> TreeSeries:
    return make_tree_series(tmp_path_factory.mktemp("tree"))


@pytest.fixture(scope="module")
def series(made: TreeSeries) -> Series:
    return load_series(str(made.mbox))


def _snapshot(repo: Path) -> dict[str, object]:
    """Everything a user could see change: refs, HEAD, index/work-tree status, file bytes."""
    files = {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    return {
        "refs": git(repo, "for-each-ref"),
        "head": git(repo, "symbolic-ref", "HEAD"),
        "status": git(repo, "status", "--porcelain", "--ignored"),
        "files": files,
    }


def test_both_kinds_of_tree_give_the_same_facts(made: TreeSeries, series: Series) -> None:
    from_git = tree_facts(series, FACTS, open_tree(f"git:{made.repo}@main"))
    from_dir = tree_facts(series, FACTS, open_tree(str(made.repo)))
    assert from_git.findings  # something to compare
    assert dataclasses.replace(from_git, spec="") == dataclasses.replace(from_dir, spec="")


def test_git_tree_reads_a_revision_other_than_the_checkout(
    made: TreeSeries, series: Series
) -> None:
    """The series' own base (main~1) takes every hunk where it says; the work tree (main)
    does not, so what the git tree reads can only come from the revision."""
    own_base = tree_facts(series, FACTS, open_tree(f"git:{made.repo}@main~1"))
    assert all(h.applied and h.offset == 0 for h in own_base.placement.hunks)
    moved_on = tree_facts(series, FACTS, open_tree(f"git:{made.repo}@main"))
    assert not all(h.applied for h in moved_on.placement.hunks)


def test_reading_leaves_work_tree_and_refs_alone(made: TreeSeries, series: Series) -> None:
    before = _snapshot(made.repo)
    for spec in (f"git:{made.repo}@series", f"git:{made.repo}@main~1", str(made.repo)):
        tree_facts(series, FACTS, open_tree(spec))
    assert _snapshot(made.repo) == before


def test_findings_of_every_kind_are_collected(made: TreeSeries, series: Series) -> None:
    facts = tree_facts(series, FACTS, open_tree(f"git:{made.repo}@main"))
    by_rule = {(f.rule, f.severity) for f in facts.findings}
    assert by_rule == {
        ("hunk-not-applied", "error"),
        ("hunk-offset", "info"),
        ("commit-ref", "warning"),
        ("maintainers-not-cc", "warning"),
    }
    assert facts.findings[0].severity == "error"  # sorted, errors first


def test_tree_facts_is_a_plain_value(made: TreeSeries, series: Series) -> None:
    facts = tree_facts(series, FACTS, open_tree(f"git:{made.repo}@main"))
    assert isinstance(facts, TreeFacts)
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.spec = "x"  # type: ignore[misc]
    # no live parser or git objects anywhere inside
    assert "tree_sitter" not in repr(facts) and "git.Repo" not in repr(facts)


def test_read_and_files_agree_with_git(made: TreeSeries) -> None:
    listed = git(made.repo, "ls-files").split()
    for spec in (f"git:{made.repo}@main", str(made.repo)):
        tree = open_tree(spec)
        assert list(tree.files()) == sorted(listed)
        assert tree.read("arch/arm64/mm/mmu.c") == git(
            made.repo, "show", "main:arch/arm64/mm/mmu.c"
        )
        assert tree.read("arch/arm64/mm/nothing.c") is None
        assert tree.read("arch/arm64") is None  # a directory is not a file


def test_grep_finds_whole_words_as_git_grep_does(made: TreeSeries) -> None:
    out = git(
        made.repo, "grep", "-n", "-w", "-e", "__add_pages", "-e", "altmap", "--", "*.c", "*.h"
    )
    expected = [tuple(line.split(":", 2)) for line in out.splitlines()]
    assert expected  # the words are there
    for spec in (f"git:{made.repo}@main", str(made.repo)):
        hits = open_tree(spec).grep(["__add_pages", "altmap"])
        assert [(h.file, str(h.line), h.text) for h in hits] == expected


@pytest.mark.parametrize(
    "text",
    [
        "pfn\nx = pfn + pfn;\n\tstart_pfn(pfn)\r\n\x0cpfn\n_pfn pfn_\npfn",
        "\n\nnothing here\n",
        "npfn pfnn\npfn",
        "a = ^x + ]y - -z;\nb = x ^ y;\n",
    ],
)
def test_matching_lines_are_the_lines_a_line_by_line_search_finds(text: str) -> None:
    pattern = words_pattern(["pfn", "start_pfn", "^x", "]y", "-z"])
    # an independent reading: the text cut at newlines only, each line searched alone
    lines = text.split("\n")[: -1 if text.endswith("\n") else None]
    expected = [(n, line) for n, line in enumerate(lines, start=1) if pattern.search(line)]
    found = [(h.line, h.text) for h in matching_lines("mm/x.c", text, pattern)]
    assert found == expected


def _whole_words(text: str, words: list[str]) -> list[tuple[int, str]]:
    """Where `words` stand as whole words, read character by character: at each place the
    longest word that starts there, with no letter, digit or underscore on either side."""

    def inside(at: int) -> bool:
        return 0 <= at < len(text) and (
            text[at].isascii() and (text[at].isalnum() or text[at] == "_")
        )

    found, at = [], 0
    while at < len(text):
        fits = [w for w in words if text.startswith(w, at) and not inside(at - 1)]
        fits = [w for w in fits if not inside(at + len(w))]
        if fits:
            word = max(fits, key=len)
            found.append((at, word))
            at += len(word)
        else:
            at += 1
    return found


@pytest.mark.parametrize(
    "words",
    [["pfn"], ["pfn", "start_pfn", "p"], ["a.b", "b", "^x", "]y", "-z"], ["x"]],
)
def test_words_pattern_finds_each_whole_word_and_nothing_else(words: list[str]) -> None:
    text = (
        "pfn\nstart_pfn(pfn) _pfn pfn_ 9pfn pfn9 \u00e9pfn p.fn p\na.b a b.a ^x x^x ]y -z --z x_x x"
    )
    assert [(m.start(), m.group()) for m in words_pattern(words).finditer(text)] == _whole_words(
        text, words
    )


def test_grep_does_not_take_part_of_a_word(made: TreeSeries) -> None:
    for spec in (f"git:{made.repo}@main", str(made.repo)):
        tree = open_tree(spec)
        assert tree.grep(["add_page"]) == ()  # only add_pages and __add_pages exist
        assert {h.file for h in tree.grep(["add_pages"])} == {"arch/x86/mm/init_64.c"}
        assert tree.grep(["MAINTAINERS"]) == ()  # *.c and *.h only


def test_directory_tree_refuses_symlinks_that_leave_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.c"
    outside.write_text("int secret;\n")
    root = tmp_path / "tree"
    (root / "mm").mkdir(parents=True)
    (root / "mm" / "real.c").write_text("int secret;\n")
    os.symlink(outside, root / "mm" / "escape.c")
    os.symlink(root / "mm" / "real.c", root / "mm" / "inside.c")
    tree = open_tree(str(root))
    assert tree.read("mm/escape.c") is None
    assert tree.read("../outside.c") is None
    assert tree.read("mm/inside.c") == "int secret;\n"
    assert tree.files() == ("mm/inside.c", "mm/real.c")
    assert [h.file for h in tree.grep(["secret"])] == ["mm/inside.c", "mm/real.c"]
    assert not tree.has_history


def test_the_walk_reads_links_from_the_folder_that_holds_them(tmp_path: Path) -> None:
    # relative links resolve from their own folder, deep in the tree; what is not a readable
    # file (a dangling link, a FIFO) is left out, and a linked folder is not walked twice
    root = tmp_path / "tree"
    (root / "mm" / "deep").mkdir(parents=True)
    (root / "mm" / "real.c").write_text("int shared;\n")
    os.symlink("../real.c", root / "mm" / "deep" / "up.c")
    os.symlink("../../outside.c", root / "mm" / "deep" / "out.c")
    (tmp_path / "outside.c").write_text("int shared;\n")
    os.symlink("missing.c", root / "mm" / "dangling.c")
    os.mkfifo(root / "mm" / "pipe.c")
    os.symlink(root / "mm" / "deep", root / "mm" / "again")
    tree = open_tree(str(root))
    assert tree.files() == ("mm/deep/up.c", "mm/real.c")
    assert [h.file for h in tree.grep(["shared"])] == ["mm/deep/up.c", "mm/real.c"]


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("{tmp}/missing", "no such directory for --tree"),
        ("git:{tmp}/missing@HEAD", "no such directory"),
        ("git:{tmp}/plain@HEAD", "is not a git repository"),
        ("git:{repo}@no-such-branch", "unknown revision no-such-branch"),
        ("git:{repo}", "git:PATH@REV"),
    ],
)
def test_bad_tree_specs_are_one_clear_line(
    made: TreeSeries, tmp_path: Path, spec: str, says: str
) -> None:
    (tmp_path / "plain").mkdir()
    text = spec.format(tmp=tmp_path, repo=made.repo)
    with pytest.raises(SourceError) as caught:
        open_tree(text)
    message = str(caught.value)
    assert says in message and "\n" not in message
    assert message.startswith(text)


def test_facts_taken_from_the_patches_give_the_same_tree_facts(
    made: TreeSeries, series: Series
) -> None:
    """The code-facts engine reads the same touched functions and prototype off the mails
    as the hand-written FACTS do, so the tree's answers agree."""
    from patchscope.code.facts import series_facts

    tree = open_tree(f"git:{made.repo}@main")
    by_hand = tree_facts(series, FACTS, tree)
    engine = tree_facts(series, series_facts(series), tree)
    assert engine.prototypes == by_hand.prototypes
    assert engine.callers == by_hand.callers
    assert [s.carries for s in engine.prototypes].count(False) == 1
