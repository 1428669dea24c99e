"""`patchscope hook install|uninstall|run`: git hooks that run patchscope's checks."""

from __future__ import annotations

import argparse
from pathlib import Path

from patchscope.cli import FAIL_ON
from patchscope.errors import EXIT_CLEAN
from patchscope.hooks import HOOKS
from patchscope.hooks.install import install, uninstall


def main(args: argparse.Namespace) -> int:
    if args.action == "run":
        from patchscope.hooks.run import run

        given = _hook_run_args(args.hook_name, args.hook_args, args.fail_on)
        return run(args.hook_name, given.args, fail_on=given.fail_on)
    repo = Path(args.repo)
    if args.action == "install":
        done = install(repo, args.hook or ["pre-push"], force=args.force)
    else:
        done = uninstall(repo, args.hook or list(HOOKS))  # only ours are ever removed
    for item in done:
        print(f"{item.hook}: {item.action} ({item.path})")
    return EXIT_CLEAN


def _hook_run_args(hook: str, words: list[str], fail_on: str) -> argparse.Namespace:
    """git's arguments with options among them: pre-commit's `args:` come before the
    message file it appends, so the options are picked out wherever they stand."""
    parser = argparse.ArgumentParser(prog=f"patchscope hook run {hook}")
    parser.add_argument("--fail-on", choices=FAIL_ON, default=fail_on)
    parser.add_argument("args", nargs="*")
    return parser.parse_intermixed_args(words)
