"""The stages in order, for the commands: load -> assemble -> verify -> code facts -> tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from patchscope.ingest.assemble import assemble
from patchscope.ingest.series import Series
from patchscope.ingest.sources import load
from patchscope.verify import verify

if TYPE_CHECKING:
    from patchscope.analysis import Analysis


def load_series(source: str, *, offline: bool = False) -> Series:
    loaded = load(source, offline=offline)
    return assemble(loaded.mails, source=source, name=loaded.name)


def analyse(source: str, *, tree: str | None, offline: bool = False) -> Analysis:
    from patchscope.analysis import Analysis
    from patchscope.code.facts import series_facts

    verified = verify(load_series(source, offline=offline))
    facts = series_facts(verified.series)
    tree_facts = None
    if tree is not None:
        from patchscope.code.tree import open_tree
        from patchscope.code.tree import tree_facts as read_tree_facts

        tree_facts = read_tree_facts(verified.series, facts, open_tree(tree))
    return Analysis(verified, facts, tree_facts)
