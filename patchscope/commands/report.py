"""`patchscope report SOURCE [-o DIR] [--tree T] [--previous SOURCE]`: write the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from patchscope.errors import EXIT_CLEAN
from patchscope.report.write import Request, write_report


def main(args: argparse.Namespace) -> int:
    request = Request(
        source=args.source,
        output=None if args.output is None else Path(args.output),
        tree=args.tree,
        previous=args.previous,
        offline=args.offline,
        baseline=args.baseline,
        kernel_result=args.kernel_result,
    )
    written = write_report(request)
    if written.no_picture is not None:
        print(
            f"patchscope: warning: the report has no call-graph picture: {written.no_picture}",
            file=sys.stderr,
        )
    if not getattr(args, "quiet", False):
        print(f"report written to {written.folder / 'index.html'}")
    return EXIT_CLEAN
