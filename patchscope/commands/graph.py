"""`patchscope graph SOURCE --format json|graphml|dot|svg [-o FILE]`: the series' graph."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from patchscope.errors import EXIT_CLEAN, PatchscopeError
from patchscope.ingest.manifest import CACHE, LORE, read_manifest


class OutputError(PatchscopeError):
    """-o names a file the command must not write."""


def main(args: argparse.Namespace) -> int:
    return run_graph(
        args.source, tree=args.tree, fmt=args.format, output=args.output, offline=args.offline
    )


def run_graph(source: str, *, tree: str | None, fmt: str, output: str | None, offline: bool) -> int:
    if output is not None:
        check_output(source, Path(output))
    from patchscope.graph.build import build_graph
    from patchscope.graph.export import render
    from patchscope.pipeline import analyse

    analysis = analyse(source, tree=tree, offline=offline)
    verified = analysis.verified
    graph = build_graph(verified.series, analysis.facts, verified.dependencies, analysis.tree)
    data = render(graph, fmt)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        _write(Path(output), data)
    return EXIT_CLEAN


def _inputs(source: str) -> list[Path]:
    """The user's files a source names: itself, and a manifest's mbox paths."""
    path = Path(source)
    if not path.is_file():
        return [path]
    found = [path]
    if path.suffix == ".toml":
        manifest = read_manifest(path)
        found += [manifest.resolve(e) for e in manifest.sources if e not in (CACHE, LORE)]
    return found


def check_output(source: str, output: Path) -> None:
    """Refuse an output that is one of the inputs, or a file inside a source directory."""
    target = output.resolve()
    for given in _inputs(source):
        where = given.resolve()
        inside = where.is_dir() and target.is_relative_to(where) and target.exists()
        if target == where or inside:
            raise OutputError(f"{output}: refusing to overwrite the input {source}")
    if target.is_dir():
        raise OutputError(f"{output}: is a directory")


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
