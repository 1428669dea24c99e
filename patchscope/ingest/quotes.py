"""Where a reply's quoted hunks stand in the patch it answers."""

from __future__ import annotations

from collections.abc import Iterator

from patchscope.ingest.series import Patch, QuoteLocation

_DIFF_KINDS = ("+", "-", " ")


def locate_quotes(body: str, patch: Patch) -> tuple[QuoteLocation, ...]:
    """One location per block of '> ' lines that quotes the patch's diff."""
    flat = [
        (f.path, line.kind + line.text, line.new_no if line.new_no is not None else line.old_no)
        for f in patch.files
        for hunk in f.hunks
        for line in hunk.lines
    ]
    found: list[QuoteLocation] = []
    for block in _quoted_blocks(body):
        hit = _best_run(block, flat)
        if hit is not None:
            path, line = hit
            location = QuoteLocation(patch=patch.number, file=path, line=line or 0)
            if location not in found:
                found.append(location)
    return tuple(found)


def _quoted_blocks(body: str) -> Iterator[list[str]]:
    """Runs of quoted lines, one quoting level removed, keeping only diff-shaped lines."""
    block: list[str] = []
    for raw in body.splitlines():
        if raw.startswith(">"):
            line = raw[1:]
            line = line[1:] if line.startswith(" ") else line
            if line.startswith(_DIFF_KINDS) and not line.startswith(("---", "+++")):
                block.append(line)
            continue
        if block:
            yield block
        block = []
    if block:
        yield block


def _best_run(
    block: list[str], flat: list[tuple[str, str, int | None]]
) -> tuple[str, int | None] | None:
    """The patch position matching the longest run of the block's lines.

    A run made only of blank or brace lines proves nothing, so it is not taken.
    """
    best: tuple[int, str, int | None] | None = None
    for start in range(len(block)):
        for index, (path, text, line) in enumerate(flat):
            if text != block[start]:
                continue
            run = 0
            while (
                start + run < len(block)
                and index + run < len(flat)
                and flat[index + run][1] == block[start + run]
                and flat[index + run][0] == path
            ):
                run += 1
            meaningful = any(len(b[1:].strip()) > 2 for b in block[start : start + run])
            if meaningful and (best is None or run > best[0]):
                best = (run, path, line)
    return None if best is None else (best[1], best[2])
