"""An optional base tree (a checkout or git:PATH@REV) and what it tells about a series."""

from __future__ import annotations

from dataclasses import dataclass

from patchscope.code.model import SeriesFacts
from patchscope.ingest.series import Series


class Tree:
    """Read-only access to a kernel tree's files (directory or a git revision)."""


@dataclass(frozen=True)
class TreeFacts:
    pass


def open_tree(spec: str) -> Tree:
    raise NotImplementedError


def tree_facts(series: Series, facts: SeriesFacts, tree: Tree) -> TreeFacts:
    raise NotImplementedError
