"""Commit ids quoted in messages (`abcdef123456 ("title")`), checked against the tree's history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from patchscope.findings import Finding
from patchscope.ingest.series import Series
from patchscope.ingest.trailers import CommitRef

if TYPE_CHECKING:
    from patchscope.code.tree import Tree


def check_commit_refs(series: Series, tree: Tree) -> tuple[Finding, ...]:
    """A finding for each quoted id the history lacks or knows under another title.

    Nothing is checked when the tree has no history (a plain directory)."""
    quoted: list[tuple[int, CommitRef]] = []
    if series.cover is not None:
        quoted.extend((0, ref) for ref in series.cover.commit_refs)
    quoted.extend((patch.number, ref) for patch in series.patches for ref in patch.commit_refs)
    if not quoted or not tree.has_history:  # opening the history costs more than the rest
        return ()
    return tuple(finding for number, ref in quoted for finding in _check(number, ref, tree))


def _check(number: int, ref: CommitRef, tree: Tree) -> Iterator[Finding]:
    where = "the cover letter" if number == 0 else f"patch {number}"
    title = tree.commit_title(ref.sha)
    if title is None:
        message = f'{where} quotes commit {ref.sha} ("{ref.title}"), unknown in the tree\'s history'
    elif _fold(title) != _fold(ref.title):
        message = (
            f'{where} quotes commit {ref.sha} as ("{ref.title}"), but its title is ("{title}")'
        )
    else:
        return
    yield Finding(
        rule="commit-ref",
        severity="warning",
        message=message,
        patch=number,
        entity=ref.sha,
        evidence=(f'{ref.sha} ("{ref.title}")',),
    )


def _fold(title: str) -> str:
    """A title quoted across a line break compares equal to the one-line subject."""
    return " ".join(title.split())
