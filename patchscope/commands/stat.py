"""`patchscope stat`: the series, its patches and replies, and every diffstat it claims."""

from __future__ import annotations

import argparse

from patchscope.commands.output import write_json
from patchscope.errors import EXIT_CLEAN, EXIT_FINDINGS
from patchscope.findings import reaches
from patchscope.pipeline import load_series
from patchscope.stat_json import stat_json
from patchscope.verify import verify


def main(args: argparse.Namespace) -> int:
    return run_stat(args.source, as_json=args.json, fail_on=args.fail_on, offline=args.offline)


def run_stat(source: str, *, as_json: bool, fail_on: str, offline: bool) -> int:
    verified = verify(load_series(source, offline=offline))
    if as_json:
        write_json(stat_json(verified))
    else:
        from patchscope.commands.stat_table import print_stat

        print_stat(verified)
    return EXIT_FINDINGS if reaches(verified.findings, fail_on) else EXIT_CLEAN
