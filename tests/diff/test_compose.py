"""compose(): the cover letter's diffstat from the patches alone, checked against git."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from patchscope.diff.compose import compose
from patchscope.diff.lineage import ReplayError, replay, write_tree
from patchscope.diff.model import FileDiff
from patchscope.diff.parse import parse_diff
from patchscope.errors import PatchscopeError
from tests.conftest import REFERENCE_MBOX, git

Patches = list[tuple[int, Sequence[FileDiff]]]

# --- the reference thread, read with small independent regexes -------------------------

_PATCH_SUBJECT = re.compile(r"^Subject: \[RFC PATCH v2 (\d+)/4\]", re.MULTILINE)
_STAT_LINE = re.compile(r"^ (\S+) +\| +(\d+) ", re.MULTILINE)
_SUMMARY = re.compile(r"(\d+) files? changed, (\d+) insertions?\(\+\), (\d+) deletions?\(-\)")


def reference_mails() -> dict[int, str]:
    """Message number (0 = cover letter) -> its text; replies are left out."""
    mails = re.split(r"^From \S+ .*\n", REFERENCE_MBOX.read_text(), flags=re.MULTILINE)
    numbered = {}
    for mail in mails:
        m = _PATCH_SUBJECT.search(mail)
        if m:
            numbered[int(m.group(1))] = mail
    return numbered


def diff_part(mail: str) -> str:
    """From the first 'diff --git' to the '-- ' signature."""
    start = mail.index("\ndiff --git ") + 1
    return mail[start : mail.index("\n-- \n", start) + 1]


def reference_patches() -> Patches:
    mails = reference_mails()
    return [(n, parse_diff(diff_part(mails[n])).files) for n in sorted(mails) if n]


def test_reference_reproduces_cover_letter_diffstat() -> None:
    cover = reference_mails()[0]
    files, insertions, deletions = map(int, _SUMMARY.findall(cover)[0])
    per_file = {path: int(count) for path, count in _STAT_LINE.findall(cover)}

    composed = compose(reference_patches()).diffstat

    assert (composed.files, composed.insertions, composed.deletions) == (
        files,
        insertions,
        deletions,
    )
    assert dict(composed.per_file) == per_file


def test_reference_sum_of_patch_stats_is_not_the_cover_stat() -> None:
    """The per-patch summaries add up to more: later patches change earlier patches' lines."""
    mails = reference_mails()
    summed = [sum(int(_SUMMARY.findall(mails[n])[0][i]) for n in (1, 2, 3, 4)) for i in (1, 2)]
    cover = [int(v) for v in _SUMMARY.findall(mails[0])[0][1:]]
    assert summed != cover
    changed_again = compose(reference_patches()).changed_again
    counted = sum(len(_span(run)[0]) for runs in changed_again.values() for run in runs)
    # each line changed again was counted once as added and once as removed in the sum
    assert summed[0] - cover[0] == counted
    assert summed[1] - cover[1] == counted


def test_reference_changed_again_lines_are_what_the_earlier_patch_added() -> None:
    """The '-' lines named, read in the later patch, are '+' lines of the patch named."""
    mails = reference_mails()
    changed = compose(reference_patches()).changed_again
    assert changed
    for path, runs in changed.items():
        for run in runs:
            lines, added_by, changed_by = _span(run)
            assert run.startswith(f"{path}:")
            removed = _removed_at(mails[changed_by], path, lines)
            assert len(removed) == len(lines)
            assert set(removed) <= _plus_lines(diff_part(mails[added_by]))


def test_reference_perturbed_context_line_is_a_clear_error() -> None:
    """Patch 4/4 edited so one context line no longer reads what 3/4 left: refused."""
    mails = reference_mails()
    text = diff_part(mails[4])
    hunk_at = text.index("@@ -676,13 +676,13 @@")
    first_context = text.index("\n ", hunk_at) + 1
    broken = (
        text[:first_context] + " /* not what 3/4 wrote */" + text[text.index("\n", first_context) :]
    )
    patches = [*reference_patches()[:3], (4, parse_diff(broken).files)]

    with pytest.raises(PatchscopeError) as caught:
        compose(patches)

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("patch 4/4: mm/sparse.c hunk @@ -676,13 +676,13 @@")
    assert "/* not what 3/4 wrote */" in message
    assert "3/4 left" in message


def _span(description: str) -> tuple[range, int, int]:
    """'path:12-14 added by 2/4, changed by 3/4' -> (lines 12..14, 2, 3)."""
    m = re.search(r":(\d+)(?:-(\d+))? added by (\d+)/\d+, changed by (\d+)/\d+$", description)
    assert m, description
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    return range(first, last + 1), int(m.group(3)), int(m.group(4))


def _plus_lines(diff: str) -> set[str]:
    return {line[1:] for line in diff.splitlines() if line.startswith("+") and line[:4] != "+++ "}


def _removed_at(mail: str, path: str, lines: range) -> list[str]:
    """The texts of the patch's '-' lines at these pre-image line numbers."""
    (fd,) = [f for f in parse_diff(diff_part(mail)).files if f.old_path == path]
    return [hl.text for h in fd.hunks for hl in h.lines if hl.kind == "-" and hl.old_no in lines]


# --- a real git series written by the test --------------------------------------------


def c_file(name: str, count: int) -> str:
    """Small functions: many identical '{', '}' and blank lines, as real C has."""
    return "".join(f"int {name}_{i}(int x)\n{{\n\treturn x + {i};\n}}\n\n" for i in range(count))


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


_ALPHA = _lines(c_file("alpha", 6))
_BETA = _lines(c_file("beta", 4))
_OLD = _lines(c_file("old", 5))
_NEW_FN = ["static int helper(int y)\n", "{\n", "\tint z = y * 2;\n", "\n", "\treturn z;\n", "}\n"]

# path -> content; None deletes the file, "+x" makes it executable
Tree = dict[str, str | bytes | None]

_BASE_TREE: Tree = {
    "mm/alpha.c": "".join(_ALPHA),
    "mm/beta.c": "".join(_BETA),
    "mm/old_name.c": "".join(_OLD),
    "mm/doomed.c": c_file("doomed", 2),
    "tools/run.sh": "#!/bin/sh\necho run\n",
    "data/blob.bin": b"\x00\x01\x02base\xff",
}


def _series_steps() -> list[Tree]:
    alpha1 = _ALPHA[:10] + _NEW_FN + ["\n"] + _ALPHA[10:22] + ["\treturn x * 5;\n"] + _ALPHA[23:]
    alpha2 = list(alpha1)
    alpha2[12] = "\tint z = y * 3;\n"  # a line 1 added
    del alpha2[14]  # "\treturn z;" from 1
    alpha2[2] = "\treturn x + 100;\n"  # a base line
    alpha3 = list(alpha2)
    del alpha3[13:15]  # the blank line 1 added, and the "}" 1 added after it
    alpha4 = list(alpha3)
    alpha4[7] = "\treturn x - 1;\n"
    beta1 = [*_BETA, "int beta_tail(void)\n", "{\n", "\treturn 0;\n", "}\n"]
    beta3 = [*beta1[:-2], "\treturn 1;\n", "}\n"]
    old2 = list(_OLD)
    old2[2] = "\treturn x + 42;\n"
    old3 = list(old2)
    old3[22] = "\treturn x + 43;\n"
    old3[17] = "\treturn -x;\n"
    return [
        {
            "mm/alpha.c": "".join(alpha1),
            "mm/beta.c": "".join(beta1),
            "mm/temp.c": c_file("temp", 2),
            "data/blob.bin": b"\x00\x01\x02first\xff",
        },
        {
            "mm/alpha.c": "".join(alpha2),
            "mm/old_name.c": None,
            "mm/new_name.c": "".join(old2),
            "mm/doomed.c": None,
            "tools/run.sh": "+x",
        },
        {
            "mm/alpha.c": "".join(alpha3),
            "mm/new_name.c": "".join(old3),
            "mm/temp.c": None,
            "mm/beta.c": "".join(beta3),
        },
        {"mm/alpha.c": "".join(alpha4), "mm/gamma.c": c_file("gamma", 1)},
    ]


@dataclass(frozen=True)
class RepoSeries:
    repo: Path
    commits: tuple[str, ...]  # base first, then one per patch
    mails: tuple[Path, ...]  # git format-patch output, one per patch
    copies: bool  # the mails show copies (and blame follows lines across files)

    def patches(self) -> Patches:
        return [(n, parse_diff(diff_part(m.read_text())).files) for n, m in self.numbered()]

    def numbered(self) -> list[tuple[int, Path]]:
        return list(enumerate(self.mails, start=1))


def build_repo_series(
    where: Path, base: Tree | None = None, steps: list[Tree] | None = None, copies: bool = False
) -> RepoSeries:
    """A repo with a base commit and one commit per step, and its format-patch mails."""
    repo = where / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commits = [_commit(repo, _BASE_TREE if base is None else base, "base")]
    for i, step in enumerate(_series_steps() if steps is None else steps, start=1):
        commits.append(_commit(repo, step, f"step {i}"))
    out = where / "mails"
    # -C -C also finds copies of files the commit leaves alone (--find-copies-harder)
    find = ["-C", "-C"] if copies else ["-M"]
    git(repo, "format-patch", "-q", *find, "-o", str(out), f"{commits[0]}..{commits[-1]}")
    return RepoSeries(repo, tuple(commits), tuple(sorted(out.glob("*.patch"))), copies)


def _commit(repo: Path, files: Tree, message: str) -> str:
    for name, content in files.items():
        path = repo / name
        if content is None:
            path.unlink()
        elif content == "+x":
            path.chmod(0o755)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content if isinstance(content, bytes) else content.encode()
            path.write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def git_numstat(repo: Path, old: str, new: str) -> dict[str, tuple[int, int]]:
    """git's own count, keyed by the new path (the old one for a deleted file)."""
    raw = git(repo, "diff", "--numstat", "-z", "-M", old, new).split("\0")
    counts: dict[str, tuple[int, int]] = {}
    i = 0
    while raw[i]:
        added, removed, path = raw[i].split("\t")
        if path:
            i += 1
        else:
            path = raw[i + 2]
            i += 3
        counts[path] = (0 if added == "-" else int(added), 0 if removed == "-" else int(removed))
    return counts


@pytest.fixture(scope="module")
def repo_series(tmp_path_factory: pytest.TempPathFactory) -> RepoSeries:
    return build_repo_series(tmp_path_factory.mktemp("compose"))


def test_repo_series_matches_git_between_base_and_tip(repo_series: RepoSeries) -> None:
    expected = git_numstat(repo_series.repo, repo_series.commits[0], repo_series.commits[-1])

    composed = compose(repo_series.patches()).diffstat

    assert dict(composed.per_file) == {path: a + d for path, (a, d) in expected.items()}
    assert composed.files == len(expected)
    assert composed.insertions == sum(a for a, _ in expected.values())
    assert composed.deletions == sum(d for _, d in expected.values())
    # the cases the series was written to cover, as git reports them
    assert "mm/temp.c" not in expected  # added by 1, deleted by 3
    assert expected["mm/new_name.c"] != (0, 0)  # renamed by 2, edited by 3
    assert expected["tools/run.sh"] == (0, 0)  # mode only
    assert expected["data/blob.bin"] == (0, 0)  # binary: '-' in numstat


def test_user_git_configuration_is_not_read(
    repo_series: RepoSeries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A global config that marks every file binary would zero every count if git read it."""
    (tmp_path / "attributes").write_text("* binary\n")
    config = tmp_path / "gitconfig"
    config.write_text(f"[core]\n\tattributesFile = {tmp_path / 'attributes'}\n")
    numstat = git_numstat(repo_series.repo, repo_series.commits[0], repo_series.commits[-1])
    expected = {path: a + d for path, (a, d) in numstat.items()}
    for name in ("HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(name, str(tmp_path))
    (tmp_path / ".gitconfig").write_text(config.read_text())
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_DIR", str(repo_series.repo / ".git"))

    assert dict(compose(repo_series.patches()).diffstat.per_file) == expected


def test_repo_series_sum_of_patches_differs_from_composition(repo_series: RepoSeries) -> None:
    summed: dict[str, int] = {}
    for i in range(1, len(repo_series.commits)):
        step = git_numstat(repo_series.repo, repo_series.commits[i - 1], repo_series.commits[i])
        for path, (a, d) in step.items():
            summed[path] = summed.get(path, 0) + a + d

    composed = compose(repo_series.patches()).diffstat

    assert sum(summed.values()) > composed.insertions + composed.deletions
    assert summed["mm/alpha.c"] != composed.per_file["mm/alpha.c"]


def test_repo_series_changed_again_matches_git_blame(repo_series: RepoSeries) -> None:
    """Every '-' line whose blame in the parent is a series commit, and no other."""
    patches = repo_series.patches()
    expected = {
        (patch, path, line, by)
        for patch, path, kind, line, by in blamed_lines(repo_series, patches)
        if kind == "removed"
    }
    total = len(patches)

    changed = compose(patches).changed_again

    found = set()
    for path, runs in changed.items():
        for run in runs:
            assert run.startswith(f"{path}:") and f"/{total}, changed by" in run, run
            lines, added_by, changed_by = _span(run)
            found |= {(changed_by, path, n, added_by) for n in lines}
    assert found == expected
    assert {by for _, _, _, by in found} == {1}  # this series changes only lines 1 added
    assert any(path == "mm/beta.c" for _, path, _, _ in found)  # at the end of the file


def blamed_lines(series: RepoSeries, patches: Patches) -> set[tuple[int, str, str, int, int]]:
    """(patch, path, kind, old line, patch that introduced it) from `git blame` of the parent."""
    index = {sha: n for n, sha in enumerate(series.commits) if n}
    found = set()
    for patch, files in patches:
        parent = series.commits[patch - 1]
        for fd in files:
            if fd.status == "added" or not fd.hunks:
                continue
            blame = _blame(series.repo, parent, fd.old_path, series.copies)
            for hunk in fd.hunks:
                for hl in hunk.lines:
                    if hl.kind != "+" and hl.old_no and blame[hl.old_no] in index:
                        kind = "context" if hl.kind == " " else "removed"
                        found.add((patch, fd.old_path, kind, hl.old_no, index[blame[hl.old_no]]))
    return found


def _blame(repo: Path, rev: str, path: str, copies: bool) -> dict[int, str]:
    # -C -C -C follows lines into a file copied from another, as the patches show it
    find = ["-C", "-C", "-C"] if copies else []
    out = git(repo, "blame", "-s", "-l", "--root", *find, rev, "--", path)
    lines = {}
    for row in out.splitlines():
        sha, rest = row.split(" ", 1)
        lines[int(rest.split(")", 1)[0].split()[-1])] = sha.lstrip("^")
    return lines


def test_repo_series_replay_equals_git_apply(repo_series: RepoSeries, tmp_path: Path) -> None:
    """The in-memory application gives what `git apply` gives on the same synthetic base.

    The binary file is left out: git apply checks a binary patch against the real blob.
    """
    replayed = replay(repo_series.patches())
    work = tmp_path / "work"
    work.mkdir()
    write_tree(work, replayed.base)
    for _, mail in repo_series.numbered():
        subprocess.run(
            ["git", "apply", "--exclude=data/blob.bin", str(mail)],
            cwd=work,
            check=True,
            env={**os.environ, "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"},
        )
    applied = {str(p.relative_to(work)): p for p in work.rglob("*") if p.is_file()}
    expected_tip = {path: c for path, c in replayed.tip.items() if path != "data/blob.bin"}
    assert set(applied) - {"data/blob.bin"} == set(expected_tip)
    for path, content in expected_tip.items():
        assert applied[path].read_bytes() == content.data, path
        assert (applied[path].stat().st_mode & 0o111 != 0) == (content.mode == "100755"), path


def test_rename_then_rewrite_of_a_long_file_stays_a_rename(tmp_path: Path) -> None:
    """Only a file's head is seen after its rename; git still pairs the long real file."""
    long_file = c_file("long", 40)
    head = "".join(f"int rewritten_{i};\n" for i in range(6))
    steps: list[Tree] = [
        {"mm/long.c": None, "mm/longer.c": long_file},
        {"mm/longer.c": head + "".join(_lines(long_file)[6:])},
    ]
    series = build_repo_series(tmp_path, {"mm/long.c": long_file}, steps)
    expected = git_numstat(series.repo, series.commits[0], series.commits[-1])
    assert set(expected) == {"mm/longer.c"}  # git sees one renamed file

    composed = compose(series.patches()).diffstat

    assert dict(composed.per_file) == {path: a + d for path, (a, d) in expected.items()}


def test_repo_series_patch_that_does_not_fit_is_refused(repo_series: RepoSeries) -> None:
    """Patch 3 edited so a removed line no longer reads what patch 1 added there."""
    text = diff_part(repo_series.mails[2].read_text())
    broken = text.replace("\n-}\n", "\n-};\n", 1)
    assert broken != text
    patches = repo_series.patches()
    patches[2] = (3, parse_diff(broken).files)

    with pytest.raises(ReplayError) as caught:
        compose(patches)

    message = str(caught.value)
    assert re.fullmatch(
        r"patch 3/4: mm/alpha\.c hunk @@ -\d+,\d+ \+\d+,\d+ @@ \(diff line \d+\): "
        r"line \d+ reads '};', but 1/4 left '}' there",
        message,
    ), message


def test_repo_series_patch_on_a_file_gone_is_refused(repo_series: RepoSeries) -> None:
    patches = repo_series.patches()
    rename = [fd for fd in patches[1][1] if fd.status == "renamed"]
    doubled = [*patches[:2], (3, rename), *[(n + 1, f) for n, f in patches[2:]]]

    with pytest.raises(
        ReplayError, match=r"^patch 3/5: mm/old_name\.c is gone \(2/5 renamed it\)$"
    ):
        compose(doubled)


def test_hunk_at_end_of_file_must_find_the_end(repo_series: RepoSeries) -> None:
    """Patch 1's append to mm/beta.c, sent twice: the second finds 1's lines after its end."""
    (append,) = [fd for fd in repo_series.patches()[0][1] if fd.path == "mm/beta.c"]
    (hunk,) = append.hunks
    old_end = hunk.old_start + hunk.old_len - 1
    added = sum(1 for hl in hunk.lines if hl.kind == "+")

    with pytest.raises(ReplayError) as caught:
        compose([(1, [append]), (2, [append])])

    assert str(caught.value).startswith("patch 2/2: mm/beta.c hunk @@ ")
    assert str(caught.value).endswith(f"ends the file at line {old_end}, but {added} more follow")


def test_unsafe_path_is_refused() -> None:
    diff = (
        "diff --git a/../evil.c b/../evil.c\nnew file mode 100644\nindex 0000000..1111111\n"
        "--- /dev/null\n+++ b/../evil.c\n@@ -0,0 +1 @@\n+x\n"
    )
    with pytest.raises(ReplayError, match=r"unsafe file path '\.\./evil\.c'"):
        compose([(1, parse_diff(diff).files)])


def test_small_trees_are_written_to_memory_unless_tmpdir_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The composed trees go to /dev/shm where it can take them; TMPDIR and large trees keep
    tempfile's default, and the count is the same wherever it is made."""
    from patchscope.diff import compose as module

    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(module, "_MEMORY_BACKED", tmp_path)
    assert module._scratch(1024) == tmp_path
    assert module._scratch(module._IN_MEMORY_MAX + 1) is None
    monkeypatch.setattr(module, "_MEMORY_BACKED", tmp_path / "absent")
    assert module._scratch(1024) is None
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(module, "_MEMORY_BACKED", tmp_path)
    assert module._scratch(1024) is None
