"""What `pipeline.analyse` returns. Its own module so that the commands which only load a
series (stat above all) do not build this dataclass at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patchscope.code.model import SeriesFacts
    from patchscope.code.tree import TreeFacts
    from patchscope.verify import Verified


@dataclass(frozen=True)
class Analysis:
    """Everything the graph, entities and check commands start from."""

    verified: Verified
    facts: SeriesFacts
    tree: TreeFacts | None
