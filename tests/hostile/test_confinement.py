"""Confinement: a --tree symlink that leaves the tree is never read, a series' files are
never executed, and names the file system cannot hold end in a finding, not a crash."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import git
from tests.hostile import corpus
from tests.hostile.harness import run, snapshot

# Audit hooks cannot be removed: one is installed for the session and records only while
# a test asks it to.
_RECORDING: list[list[str]] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _RECORDING and event in ("open", "os.listdir", "os.scandir") and args:
        path = args[0]
        if isinstance(path, (str, bytes, os.PathLike)):
            _RECORDING[-1].append(os.fsdecode(path))


sys.addaudithook(_audit)


@contextmanager
def opened() -> Iterator[list[str]]:
    """Every path opened or listed by this process while the block runs."""
    paths: list[str] = []
    _RECORDING.append(paths)
    try:
        yield paths
    finally:
        _RECORDING.pop()


SECRET = "outside_secret_caller"
TOY = "int toy_count(int pages)\n{\n\treturn pages;\n}\n"


def _mail(subject: str, diff: str) -> str:
    return (
        "From: Kim Writer <kim@example.org>\n"
        f"Subject: {subject}\n"
        "Date: Mon, 04 Mar 2024 09:00:01 +0000\n"
        "Message-Id: <confined@example.org>\n\n"
        "Signed-off-by: Kim Writer <kim@example.org>\n---\n" + diff
    )


def _edit(path: str) -> str:
    """A diff of `path` (holding TOY) that doubles what toy_count returns."""
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1,4 +1,4 @@\n"
        " int toy_count(int pages)\n {\n-\treturn pages;\n+\treturn pages * 2;\n }\n"
    )


@pytest.fixture
def tree_with_links(tmp_path: Path) -> tuple[Path, Path]:
    """(tree, outside): the tree holds mm/toy.c and a caller; links in it point outside."""
    outside = tmp_path / "outside"
    (outside / "mm").mkdir(parents=True)
    (outside / "mm" / "toy.c").write_text(TOY.replace("pages;", "pages + 1;"))
    (outside / "caller.c").write_text(f"void {SECRET}(void)\n{{\n\ttoy_count(1);\n}}\n")
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / "mm" / "toy.c").write_text(TOY)
    (tree / "mm" / "inside.c").write_text("void inside_caller(void)\n{\n\ttoy_count(2);\n}\n")
    (tree / "mm" / "link.c").symlink_to(outside / "caller.c")
    (tree / "arch").symlink_to(outside, target_is_directory=True)
    (tree / "etc").symlink_to("/etc", target_is_directory=True)
    return tree, outside


def test_tree_symlinks_leaving_the_tree_are_not_followed(
    tree_with_links: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree, outside = tree_with_links
    # arch/mm/toy.c reaches outside through the "arch" link, ../outside/mm/toy.c climbs
    # there, etc/passwd reaches /etc through the "etc" link: the series edits them all
    edits = ("mm/toy.c", "arch/mm/toy.c", "../outside/mm/toy.c", "etc/passwd")
    mbox = tmp_path / "links.patch"
    mbox.write_text(_mail("[PATCH] toy: double", "".join(_edit(path) for path in edits)))
    before = snapshot(tree, outside)
    with opened() as paths:
        ran = run(capsys, "graph", str(mbox), "--tree", str(tree), "--format", "json")
        check = run(capsys, "check", "--json", str(mbox), "--tree", str(tree))
    assert ran.code == 0 and check.code in (0, 1)
    names = {node.get("name") for node in json.loads(ran.out)["nodes"]}
    assert "inside_caller" in names  # the tree is read ...
    assert SECRET not in names  # ... but not through a link that leaves it
    assert str(tree.resolve() / "mm" / "inside.c") in {str(Path(p).resolve()) for p in paths}
    assert not [p for p in paths if Path(p).resolve().is_relative_to(outside)]
    assert not [p for p in paths if p.startswith("/etc/") or p == "/etc"]
    # the edit of arch/mm/toy.c finds no such file in the tree: its hunk does not apply
    findings = json.loads(check.out)["findings"]
    assert any(f["file"] == "arch/mm/toy.c" for f in findings), findings
    assert snapshot(tree, outside) == before


def _new_file(path: str, lines: list[str], mode: str = "100755") -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode {mode}\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def _cover_and_patch(files: dict[str, list[str]]) -> str:
    """A 0/1 cover whose diffstat makes the series be composed, and one patch adding `files`."""
    stat = "".join(f" {path} | {len(lines)} +\n" for path, lines in files.items())
    total = sum(len(lines) for lines in files.values())
    cover = (
        "From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: Kim Writer <kim@example.org>\n"
        "Subject: [PATCH 0/1] toy: files that would run\nMessage-Id: <exec-0@example.org>\n\n"
        f"Cover.\n\n{stat} {len(files)} files changed, {total} insertions(+)\n\n"
    )
    diff = "".join(_new_file(path, lines) for path, lines in files.items())
    patch = (
        "From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: Kim Writer <kim@example.org>\n"
        "Subject: [PATCH 1/1] toy: add them\nMessage-Id: <exec-1@example.org>\n"
        "In-Reply-To: <exec-0@example.org>\n\nSigned-off-by: Kim Writer <kim@example.org>\n"
        f"---\n{diff}\n"
    )
    return cover + patch


def _runnable(marker: Path) -> dict[str, list[str]]:
    """Files git, make or a shell would run, each one creating `marker` if it ever ran."""
    touch = f"touch {marker}"
    return {
        ".git/hooks/post-checkout": ["#!/bin/sh", touch],
        ".git/config": ["[core]", f"\tfsmonitor = {touch}", '[diff "evil"]', f"\tcommand={touch}"],
        ".gitattributes": ["* diff=evil"],
        "Makefile": ["all:", f"\t{touch}"],
        "scripts/x.sh": ["#!/bin/sh", touch],
    }


def test_series_files_are_never_executed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "MARKER"
    mbox = tmp_path / "exec.mbox"
    files = _runnable(marker)
    mbox.write_text(_cover_and_patch(files))
    monkeypatch.chdir(tmp_path)
    stat = run(capsys, "stat", "--json", str(mbox))
    assert [f["path"] for f in json.loads(stat.out)["patches"][0]["files"]] == list(files)
    assert json.loads(stat.out)["cover"]["diffstat"]["ok"] is True  # it was composed
    assert run(capsys, "check", str(mbox)).code in (0, 1)
    assert run(capsys, "report", "-o", str(tmp_path / "out"), str(mbox)).code in (0, 1)
    tree = tmp_path / "tree"  # a base tree with history: the series' files placed on it
    (tree / "scripts").mkdir(parents=True)
    (tree / "scripts" / "x.sh").write_text("#!/bin/sh\n")
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "base")
    for spec in (str(tree), f"git:{tree}@HEAD"):
        assert run(capsys, "check", str(mbox), "--tree", spec).code in (0, 1)
    assert not marker.exists()


def test_staged_scripts_are_never_executed_by_the_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pre-commit and pre-push read a repository whose commits carry the runnable files."""
    marker = tmp_path / "MARKER"
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "base")
    for path, lines in _runnable(marker).items():
        if path.startswith(".git/"):
            continue  # git itself refuses to track these
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("".join(f"{line}\n" for line in lines))
    git(repo, "add", "-A")
    monkeypatch.chdir(repo)
    assert run(capsys, "hook", "run", "pre-commit").code in (0, 1)
    git(repo, "commit", "-q", "--no-verify", "-m", "runnable\n\nSigned-off-by: A <a@b.c>")
    assert run(capsys, "check", f"git:{repo}@HEAD~1..HEAD").code in (0, 1)
    assert not marker.exists()


def test_a_name_too_long_for_the_file_system_is_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = f"mm/{'n' * 300}.c"  # file systems hold at most 255 bytes a name
    mbox = tmp_path / "long.mbox"
    mbox.write_text(_cover_and_patch({path: ["int x;"]}))
    ran = run(capsys, "stat", "--json", str(mbox))
    assert ran.code == 1
    (finding,) = [f for f in json.loads(ran.out)["findings"] if f["rule"] == "replay-failed"]
    assert finding["message"] == f"cannot write {path!r} of the composed tree: File name too long"


def test_composing_climbing_paths_writes_nothing_outside_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a cover letter the series is composed on disk: a path that climbs out is refused
    before anything is written, and the temporary folder is all that is ever used."""
    work = tmp_path / "work" / "tmp"
    work.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    mbox = tmp_path / "climb.mbox"
    mbox.write_text(_cover_and_patch({"mm/ok.c": ["int ok;"], "../../h1-escaped": ["x"]}))
    before = snapshot(tmp_path)
    ran = run(capsys, "stat", "--json", str(mbox))
    findings = json.loads(ran.out)["findings"]
    assert [f["message"] for f in findings if f["rule"] == "replay-failed"] == [
        "patch 1/1: unsafe file path '../../h1-escaped'"
    ]
    assert snapshot(tmp_path) == before  # the composing folder is gone, nothing else came


def test_a_source_folder_link_to_a_file_outside_is_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = corpus.write(tmp_path / "outside", "secret.patch", corpus.toy_mail("[PATCH] B"))
    folder = tmp_path / "outgoing"
    corpus.write(folder, "0001-a.patch", corpus.toy_mail("[PATCH] toy: A", msgid="a@example.org"))
    (folder / "0002-b.patch").symlink_to(outside)
    with opened() as paths:
        ran = run(capsys, "stat", "--json", str(folder))
    assert [p["subject"] for p in json.loads(ran.out)["patches"]] == ["toy: A"]
    assert str(folder / "0001-a.patch") in paths
    assert not [p for p in paths if Path(p).resolve() == outside.resolve()]


def test_the_report_never_writes_through_a_link_in_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """out/index.html linked to a file elsewhere: refused, and that file keeps its bytes."""
    victim = corpus.write(tmp_path / "home", ".bashrc", "alias ls='ls -F'\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").symlink_to(victim)
    patch = corpus.write(tmp_path, "toy.patch", corpus.toy_mail("[PATCH] toy: double"))
    ran = run(capsys, "report", str(patch), "-o", str(out))
    expected = f"patchscope: {out / 'index.html'}: refusing to write through a symbolic link\n"
    assert (ran.code, ran.err) == (2, expected)
    assert victim.read_text() == "alias ls='ls -F'\n"
