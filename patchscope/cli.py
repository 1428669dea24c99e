"""Command layer: parse arguments, call the stages, print; no logic of its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from patchscope.errors import EXIT_BAD_INPUT, PatchscopeError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="patchscope", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    stat = sub.add_parser("stat", help="load a series and verify its diffstats")
    stat.add_argument("source")
    stat.add_argument("--json", action="store_true", help="print one JSON object")
    stat.add_argument("--fail-on", choices=["error", "warning", "info", "never"], default="error")
    stat.add_argument("--offline", action="store_true", help="never use the network")

    rd = sub.add_parser("rangediff", help="compare two versions of a series")
    rd.add_argument("old")
    rd.add_argument("new")
    rd.add_argument("--json", action="store_true")
    rd.add_argument("--offline", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "stat":
            from patchscope.commands.stat import run_stat

            return run_stat(
                args.source, as_json=args.json, fail_on=args.fail_on, offline=args.offline
            )
        from patchscope.commands.rangediff import run_rangediff

        return run_rangediff(args.old, args.new, as_json=args.json, offline=args.offline)
    except PatchscopeError as exc:
        print(f"patchscope: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
