"""`patchscope check --tree` on a series written against Linux 6.1 (linux-source-6.1).

The series (tests/fixtures/linux61/) gives arch_add_memory() a fifth parameter in the
header, the mm caller and four architectures, and is mailed without two of their lists.
Every expectation comes from the tree itself: git grep for the sites, a parenthesis
count for their arity, and the kernel's own scripts/get_maintainer.pl for the lists.
The perturbed variant also converts ia64 and Cc's linuxppc-dev, so both expectations move.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, replace
from email.utils import getaddresses
from pathlib import Path

import pytest

from patchscope.gather import static_findings
from patchscope.pipeline import analyse
from tests.conftest import ROOT, git
from tests.integration.conftest import NEEDS_TARBALL
from tests.integration.linux61 import (
    BASE_BRANCH,
    Edit,
    EditError,
    SeriesPlan,
    apply_edit,
    make_series,
    read_plan,
)

PLAN = ROOT / "tests" / "fixtures" / "linux61" / "arch-add-memory-flags.toml"
NAME = "arch_add_memory"
WORD = re.compile(rf"(?<![A-Za-z0-9_]){NAME}(?![A-Za-z0-9_])")
IA64_EDIT = Edit(
    "arch/ia64/mm/init.c",
    "int arch_add_memory(int nid, u64 start, u64 size,\n\t\t    struct mhp_params *params)\n",
    "int arch_add_memory(int nid, u64 start, u64 size,\n"
    "\t\t    struct mhp_params *params, mhp_t mhp_flags)\n",
)
PPC_LIST = "linuxppc-dev@lists.ozlabs.org"
# Lists only (subscriber-only ones too), no maintainers, reviewers, git history or keywords
GET_MAINTAINER_LISTS = (
    *("perl", "scripts/get_maintainer.pl", "--no-tree", "--nogit", "--nogit-fallback"),
    *("--nokeywords", "--l", "--s", "--nom", "--nor", "--norolestats"),
)
# "L:\tlinuxppc-dev@lists.ozlabs.org (moderated for non-subscribers)", "M:\tName <address>"
ROLE_LINE = re.compile(r"^([LMR]):.*?<?([^\s<>]+@[^\s<>]+)", re.MULTILINE)
ADDRESS = re.compile(r"[^\s<>\"()]+@[^\s<>\"()]+")


def perturbed(plan: SeriesPlan) -> SeriesPlan:
    """The same series that also converts ia64 in its last patch and Cc's linuxppc-dev."""
    last = plan.commits[-1]
    commits = (*plan.commits[:-1], replace(last, edits=(*last.edits, IA64_EDIT)))
    return replace(plan, cc=(*plan.cc, PPC_LIST), commits=commits)


@dataclass(frozen=True)
class Sent:
    """One variant of the series, mailed, and the repository it was written on."""

    variant: str
    plan: SeriesPlan
    repo: Path
    patches: Path

    @property
    def git_tree(self) -> str:
        return f"git:{self.repo}@HEAD"


@pytest.fixture(scope="session", params=["as-sent", "perturbed"])
def sent(
    request: pytest.FixtureRequest, linux61: Path, tmp_path_factory: pytest.TempPathFactory
) -> Sent:
    plan = read_plan(PLAN)
    if request.param == "perturbed":
        plan = perturbed(plan)
    out = tmp_path_factory.mktemp(f"series-{request.param}")
    patches = make_series(linux61, plan, request.param, out)
    return Sent(request.param, plan, linux61, patches)


# --- what the tree says, computed without patchscope ---------------------------------


@dataclass(frozen=True)
class Hit:
    file: str
    line: int
    text: str

    @property
    def in_comment(self) -> bool:
        return self.text.lstrip().startswith(("*", "/*", "//"))


def grep(repo: Path, rev: str) -> list[Hit]:
    """`git grep -n -w` for the name in the C sources and headers at `rev`."""
    out = git(repo, "grep", "-n", "-w", "-e", NAME, rev, "--", "*.c", "*.h")
    hits = []
    for record in out.splitlines():
        file, line, text = record.removeprefix(f"{rev}:").split(":", 2)
        hits.append(Hit(file, int(line), text))
    return hits


def touched(sent: Sent) -> set[str]:
    return set(git(sent.repo, "diff", "--name-only", f"{BASE_BRANCH}..{sent.variant}").split())


def arity(text: str, start: int) -> int:
    """How many comma-separated items the parenthesis after `start` holds, at its own level."""
    depth, items = 0, 1
    for char in text[text.index("(", start) :]:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return items
        elif char == "," and depth == 1:
            items += 1
    raise AssertionError("unbalanced parentheses")


def arities(sent: Sent) -> dict[tuple[str, int], int]:
    """Each definition, declaration and call of the name after the series: its arity."""
    found: dict[tuple[str, int], int] = {}
    texts: dict[str, str] = {}
    for hit in grep(sent.repo, sent.variant):
        if hit.in_comment:
            continue
        if hit.file not in texts:
            texts[hit.file] = git(sent.repo, "show", f"{sent.variant}:{hit.file}")
        text = texts[hit.file]
        line_start = sum(len(line) + 1 for line in text.split("\n")[: hit.line - 1])
        match = WORD.search(hit.text)
        assert match is not None
        if hit.text[match.end() :].lstrip().startswith("("):
            found[(hit.file, hit.line)] = arity(text, line_start + match.end())
    return found


def stale_sites(sent: Sent) -> set[tuple[str, int]]:
    """Sites whose arity is not that of the header's declaration after the series."""
    sites = arities(sent)
    (declared,) = {n for (file, _), n in sites.items() if file.startswith("include/")}
    return {site for site, n in sites.items() if n != declared}


def outside_sites(sent: Sent) -> list[Hit]:
    """What grep -w finds in the files the series does not touch."""
    series_files = touched(sent)
    return [hit for hit in grep(sent.repo, "HEAD") if hit.file not in series_files]


def is_call(hit: Hit) -> bool:
    """Kernel style: a definition starts in column 0, a call is indented inside a body."""
    after = WORD.split(hit.text, 1)[1].lstrip()
    return hit.text[:1].isspace() and after.startswith("(") and not hit.in_comment


def recipients(plan: SeriesPlan) -> set[str]:
    return {address.lower() for _, address in getaddresses([*plan.to, *plan.cc])}


def lists_of(repo: Path, file: str) -> set[str]:
    """The mailing lists the kernel's get_maintainer.pl names for one file."""
    done = subprocess.run(
        [*GET_MAINTAINER_LISTS, "-f", file],
        cwd=repo,
        env={**os.environ, "HOME": str(repo.parent)},
        capture_output=True,
        text=True,
        check=True,
    )
    return {line.strip().lower() for line in done.stdout.splitlines() if line.strip()}


def missing_lists(sent: Sent) -> set[tuple[str, str]]:
    """(file, list) for each list of a touched file that none of the mails went to."""
    cc = recipients(sent.plan)
    lists = pure_lists(sent.repo)
    return {
        (file, address)
        for file in touched(sent)
        for address in lists_of(sent.repo, file) - cc
        if address in lists
    }


def pure_lists(repo: Path) -> set[str]:
    """Addresses MAINTAINERS gives only as lists (x86@kernel.org is also a maintainer)."""
    roles: dict[str, set[str]] = {}
    for letter, address in ROLE_LINE.findall((repo / "MAINTAINERS").read_text()):
        roles.setdefault(address.lower(), set()).add(letter)
    return {address for address, letters in roles.items() if letters == {"L"}}


# --- patchscope, through the command line and the Python API -------------------------

CHECK = (sys.executable, "-m", "patchscope.cli", "check")


def check_json(sent: Sent, tree: str) -> dict[str, object]:
    done = subprocess.run(
        [*CHECK, str(sent.patches), "--tree", tree, "--json", "--offline"],
        env={**os.environ, "HOME": str(sent.repo.parent)},
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 1), done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def findings_of(data: dict[str, object], rule: str) -> list[dict[str, object]]:
    found = data["findings"]
    assert isinstance(found, list)
    return [f for f in found if f["rule"] == rule]


@pytest.fixture(scope="session")
def cli_check(sent: Sent) -> dict[str, object]:
    return check_json(sent, sent.git_tree)


@NEEDS_TARBALL
def test_the_perturbation_moves_both_expectations(sent: Sent) -> None:
    stale_arches = {file.split("/")[1] for file, _ in stale_sites(sent) if file.startswith("arch/")}
    lists = {address for _, address in missing_lists(sent)}
    assert len(stale_arches) >= 2 and lists
    assert ("ia64" in stale_arches) == (sent.variant == "as-sent")
    assert (PPC_LIST in lists) == (sent.variant == "as-sent")
    assert "linux-mm@kvack.org" not in lists


@NEEDS_TARBALL
def test_check_names_every_site_left_on_the_old_prototype(
    sent: Sent, cli_check: dict[str, object]
) -> None:
    found = findings_of(cli_check, "prototype-incomplete")
    assert {(f["file"], f["line"]) for f in found} == stale_sites(sent)
    assert all(f["entity"] == NAME and f["severity"] == "error" for f in found)
    # each is laid at the patch that changed the declaration, the one they fail to follow
    header = next(
        number
        for number, commit in enumerate(sent.plan.commits, 1)
        if any(e.file == "include/linux/memory_hotplug.h" for e in commit.edits)
    )
    assert {f["patch"] for f in found} == {header}
    assert all(f"patch {header} made it" in str(f["message"]) for f in found)


@NEEDS_TARBALL
def test_check_names_the_lists_left_out(sent: Sent, cli_check: dict[str, object]) -> None:
    lists = pure_lists(sent.repo)
    found = findings_of(cli_check, "maintainers-not-cc")
    # one finding per (patch, section), its entries left out as evidence
    assert len(found) == len({(f["patch"], f["entity"]) for f in found})
    evidence = json.dumps([f["evidence"] for f in found])
    named = {a.lower() for a in ADDRESS.findall(evidence)} & lists
    assert named == {address for _, address in missing_lists(sent)}
    assert not named & recipients(sent.plan)


@NEEDS_TARBALL
def test_callers_outside_the_series(sent: Sent) -> None:
    analysis = analyse(str(sent.patches), tree=sent.git_tree, offline=True)
    assert analysis.tree is not None
    sites = [s for s in analysis.tree.callers if s.name == NAME and not s.in_series]
    hits = outside_sites(sent)
    assert {(s.file, s.line) for s in sites} == {(h.file, h.line) for h in hits}
    calls = {(s.file, s.line) for s in sites if s.kind == "call"}
    assert calls == {(h.file, h.line) for h in hits if is_call(h)}
    assert calls  # mm/memremap.c calls it and the series leaves that file alone


@NEEDS_TARBALL
def test_python_api_and_cli_agree(sent: Sent, cli_check: dict[str, object]) -> None:
    analysis = analyse(str(sent.patches), tree=sent.git_tree, offline=True)
    api = {f.fingerprint for f in static_findings(analysis)}
    found = cli_check["findings"]
    assert isinstance(found, list)
    assert api == {f["fingerprint"] for f in found}


@NEEDS_TARBALL
def test_a_directory_tree_finds_the_same(sent: Sent, cli_check: dict[str, object]) -> None:
    """The work tree is checked out at the base, so DIR and git:DIR@HEAD are one tree."""
    assert check_json(sent, str(sent.repo)) == cli_check


# --- the series maker's own rules, which need no tarball ---------------------------


def test_an_edit_must_find_its_text_once(tmp_path: Path) -> None:
    (tmp_path / "a.c").write_text("int x;\nint x;\n")
    with pytest.raises(EditError, match=r"a\.c: .* 2 times"):
        apply_edit(tmp_path, Edit("a.c", "int x;\n", "long x;\n"))
    with pytest.raises(EditError, match="0 times"):
        apply_edit(tmp_path, Edit("a.c", "int y;\n", "long y;\n"))
    assert (tmp_path / "a.c").read_text() == "int x;\nint x;\n"
