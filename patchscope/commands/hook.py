"""`patchscope hook install|uninstall|run`: git hooks that run patchscope's checks."""

from __future__ import annotations

import argparse
from pathlib import Path

from patchscope.errors import EXIT_CLEAN
from patchscope.hooks.install import HOOKS, install, uninstall


def main(args: argparse.Namespace) -> int:
    if args.action == "run":
        from patchscope.hooks.run import run

        return run(args.hook_name, args.hook_args, fail_on=args.fail_on)
    repo = Path(args.repo)
    if args.action == "install":
        done = install(repo, args.hook or ["pre-push"], force=args.force)
    else:
        done = uninstall(repo, args.hook or list(HOOKS))  # only ours are ever removed
    for item in done:
        print(f"{item.hook}: {item.action} ({item.path})")
    return EXIT_CLEAN
