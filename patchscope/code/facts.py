"""Code facts of a whole series, from its patches alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from patchscope.code.changes import patch_changes
from patchscope.code.extract import extract
from patchscope.code.fragments import file_fragments, is_c_file
from patchscope.code.model import Image, PatchFacts, Reference, SeriesFacts
from patchscope.diff.model import FileDiff
from patchscope.errors import LimitError
from patchscope.ingest.series import Series


@dataclass(frozen=True)
class _Read:
    """One patch's images before macro calls are told apart (that needs the whole series)."""

    number: int
    before: Image
    after: Image
    changed: dict[tuple[str, str], frozenset[int]]
    renamed_files: dict[str, str]


def series_facts(series: Series) -> SeriesFacts:
    read = [_read(patch.number, patch.files) for patch in series.patches]
    macros = function_like_macros(image for r in read for image in (r.before, r.after))
    return SeriesFacts(tuple(_finish(r, macros) for r in read))


def patch_facts(number: int, files: Sequence[FileDiff]) -> PatchFacts:
    """One patch on its own: macro calls known only from its own macros and all-caps names."""
    read = _read(number, files)
    return _finish(read, function_like_macros((read.before, read.after)))


def function_like_macros(images: Iterable[Image]) -> frozenset[str]:
    return frozenset(
        d.name
        for image in images
        for d in image.definitions
        if d.kind == "macro" and d.signature.startswith(f"#define {d.name}(")
    )


def _read(number: int, files: Sequence[FileDiff]) -> _Read:
    before: list[Image] = []
    after: list[Image] = []
    changed: dict[tuple[str, str], frozenset[int]] = {}
    renamed: dict[str, str] = {}
    for diff in files:
        if diff.binary or not (is_c_file(diff.path) or is_c_file(diff.old_path)):
            continue
        if diff.old_path != diff.path:
            renamed[diff.old_path] = diff.path
        old, new = file_fragments(diff)
        try:  # the extractor recurses once per level of the C syntax tree
            before.append(extract(old))
            headers = frozenset(d.name for d in before[-1].definitions if d.signature)
            after.append(extract(new, old_headers=headers))
        except RecursionError:
            raise LimitError(
                f"patch {number}: {diff.path}: C code nested too deep to analyse"
            ) from None
        for fragment in (old, new):
            lines = frozenset(n for piece in fragment.pieces for n in piece.changed)
            changed[(fragment.side, fragment.path)] = lines
    return _Read(number, _merge(before), _merge(after), changed, renamed)


def _merge(images: Sequence[Image]) -> Image:
    return Image(
        tuple(d for i in images for d in i.definitions),
        tuple(r for i in images for r in i.references),
        tuple(a for i in images for a in i.assignments),
    )


def _finish(read: _Read, macros: frozenset[str]) -> PatchFacts:
    before = _with_macro_calls(read.before, macros)
    after = _with_macro_calls(read.after, macros)
    changes = patch_changes(read.number, before, after, read.changed, read.renamed_files)
    return PatchFacts(read.number, before, after, changes)


def _with_macro_calls(image: Image, macros: frozenset[str]) -> Image:
    """A call of a function-like macro the series defines is a macro call, not a call."""

    def told(r: Reference) -> Reference:
        return (
            dataclasses.replace(r, kind="macro_call")
            if r.kind == "call" and r.name in macros
            else r
        )

    return dataclasses.replace(image, references=tuple(told(r) for r in image.references))
