"""The sender signing off from another address: an info without a tree, the tree's
.mailmap deciding with one (tests/fixtures/mail/signoff-other-address.patch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchscope.code.mailmap import read_mailmap
from patchscope.ingest.mail import Person
from patchscope.ingest.signoff import signoff_findings
from tests.corpus.conftest import run

FIXTURE = Path(__file__).parents[1] / "fixtures" / "mail" / "signoff-other-address.patch"
SENDER = Person("Ada Hacker", "ada@kernel.example")
WORK = Person("Ada Hacker", "ada@corp.example")


def _rules(argv: list[str]) -> list[tuple[str, str]]:
    done = run("check", *argv, "--json")
    assert done.code in (0, 1), done.stderr
    found = done.json()["findings"]
    return [(f["rule"], f["severity"]) for f in found if f["rule"].startswith("signoff")]


def test_same_name_at_another_address_is_an_info_without_a_tree() -> None:
    assert _rules([str(FIXTURE)]) == [("signoff-identity", "info")]
    other = signoff_findings(1, WORK, Person("Bob Other", "bob@kernel.example"), (WORK,))
    assert [(f.rule, f.severity) for f in other] == [("signoff-order", "warning")]


@pytest.mark.parametrize(
    ("mailmap", "expected"),
    [
        ("Ada Hacker <ada@kernel.example> <ada@corp.example>\n", []),
        ("<ada@kernel.example> <ADA@Corp.Example>  # case does not matter\n", []),
        # the tree knows the other address as someone else's: the tree decides
        ("Ada Hacker <ada@other.example> <ada@corp.example>\n", [("signoff-order", "warning")]),
        ("Ada Hacker <ada@kernel.example>\n", [("signoff-order", "warning")]),  # a name only
    ],
)
def test_the_trees_mailmap_decides(
    tmp_path: Path, mailmap: str, expected: list[tuple[str, str]]
) -> None:
    tree = tmp_path / "tree"
    (tree / "mm").mkdir(parents=True)
    (tree / ".mailmap").write_text(mailmap)
    assert _rules([str(FIXTURE), "--tree", str(tree)]) == expected


def test_a_tree_without_mailmap_leaves_the_addresses_to_judge(tmp_path: Path) -> None:
    assert _rules([str(FIXTURE), "--tree", str(tmp_path)]) == [("signoff-identity", "info")]


def test_author_at_another_address_is_an_info_too() -> None:
    (only,) = signoff_findings(1, SENDER, SENDER, (WORK,))
    assert (only.rule, only.severity) == ("signoff-identity", "info")
    strict = signoff_findings(1, SENDER, SENDER, (WORK,), read_mailmap("").same)
    assert [(f.rule, f.severity) for f in strict] == [
        ("signoff-author", "error"),
        ("signoff-order", "warning"),
    ]
