"""`patchscope flows`: the flows `replay` knows and the parameters each one reads."""

from __future__ import annotations

import argparse
import sys

from patchscope.commands.output import write_json
from patchscope.errors import EXIT_CLEAN


def main(args: argparse.Namespace) -> int:
    from patchscope.model.memory_hotplug.flows import FLOWS

    if args.json:
        write_json([FLOWS[name].to_json() for name in sorted(FLOWS)])
        return EXIT_CLEAN
    for name in sorted(FLOWS):
        flow = FLOWS[name]
        sys.stdout.write(f"{name}: {flow.doc}\n  params: {', '.join(flow.params)}\n")
    return EXIT_CLEAN
