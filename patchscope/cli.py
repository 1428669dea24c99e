"""Command layer: parse arguments, call the stages, print; no logic of its own.

Each command's module is imported only when that command runs, so `stat` never
pays for networkx or tree-sitter.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence

from patchscope import limits
from patchscope.errors import EXIT_BAD_INPUT, PatchscopeError

FAIL_ON = ["error", "warning", "info", "never"]

# The interpreter's last garbage collection at exit walks every object a run made (~4% of a
# `stat`, 3% of a `check`): freezing them first skips that walk. Only objects in reference
# cycles then go unfinalized; a command leaves none holding unwritten data (its files are
# closed by `with`, and the interpreter flushes standard output and error itself).
atexit.register(gc.freeze)


def _source_args(parser: argparse.ArgumentParser, *, tree: bool = False) -> None:
    parser.add_argument("source", help="mbox, .patch/.eml, directory, git:PATH@A..B, msgid, .toml")
    parser.add_argument("--offline", action="store_true", help="never use the network")
    if tree:
        parser.add_argument("--tree", help="base tree: a kernel checkout DIR or git:PATH@REV")
    limits.add_flags(parser)


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or one with COMMAND's sub-parser alone: a run builds only the
    command it runs (building all fifteen is most of argparse's start-up), while help and
    a wrong command name get the whole parser and list every command."""
    parser = argparse.ArgumentParser(prog="patchscope", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, add in _ARGUMENTS.items():
        if command in (None, name):
            add(sub)
    _quiet_args(parser, sub)  # keep last: every command gets --quiet
    return parser


def _invoked(argv: Sequence[str]) -> str | None:
    """The command a run names, when only --quiet comes before it; anything else there
    (help, an unknown name or option) gets the whole parser."""
    for arg in argv:
        if arg in _ARGUMENTS:
            return arg
        if arg != "-q" and not (len(arg) > 2 and "--quiet".startswith(arg)):
            return None
    return None


_Sub = argparse._SubParsersAction  # the object add_subparsers() returns


def _stat_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    stat = sub.add_parser("stat", help="load a series and verify its diffstats")
    _source_args(stat)
    stat.add_argument("--json", action="store_true", help="print one JSON object")
    stat.add_argument("--fail-on", choices=FAIL_ON, default="error")


def _rangediff_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    rd = sub.add_parser("rangediff", help="compare two versions of a series")
    rd.add_argument("old")
    rd.add_argument("new")
    rd.add_argument("--json", action="store_true")
    rd.add_argument("--offline", action="store_true")
    limits.add_flags(rd)


def _graph_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    graph = sub.add_parser("graph", help="the call/dependency graph of what a series touches")
    _source_args(graph, tree=True)
    graph.add_argument("--format", choices=["json", "graphml", "dot", "svg"], default="json")
    graph.add_argument("-o", "--output", help="write here instead of standard output")


def _entities_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    entities = sub.add_parser("entities", help="one row per (patch, entity, change)")
    _source_args(entities, tree=True)
    entities.add_argument("--json", action="store_true")


def _impact_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    impact = sub.add_parser("impact", help="what one patch reaches through the graph")
    _source_args(impact, tree=True)
    impact.add_argument("--patch", type=int, required=True, help="the patch number N of N/M")
    impact.add_argument("--hops", type=int, default=1, help="how far to follow calls and uses")
    impact.add_argument("--json", action="store_true")


def _check_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    check = sub.add_parser("check", help="every finding: ingestion, static checks")
    _source_args(check, tree=True)
    check.add_argument("--json", action="store_true")
    check.add_argument("--fail-on", choices=FAIL_ON, default="error")
    check.add_argument("--baseline", help="waivers file (default: .patchscope-baseline.toml)")
    check.add_argument("--no-model", action="store_true", help="skip the model's findings")


def _explore_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    explore = sub.add_parser("explore", help="search the series' model for broken invariants")
    _source_args(explore)
    explore.add_argument("--stage", type=int, help="the stage searched (default: the last)")
    explore.add_argument("--arch", action="append", help="x86_64, ppc64, s390, arm64 (repeat)")
    explore.add_argument("--budget", type=int, help="sequences per search (default: 5)")
    explore.add_argument("--seed", type=int, default=0, help="the searches' seed (default: 0)")
    explore.add_argument("--json", action="store_true")


def _claims_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    claims = sub.add_parser("claims", help="replay every claim of a series' manifest")
    _source_args(claims)
    claims.add_argument("--json", action="store_true")


def _replay_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    replay = sub.add_parser("replay", help="replay a hotplug flow on the series' model")
    replay.add_argument("flow", help="a flow `patchscope flows` lists")
    replay.add_argument("--series", help="SOURCE with a model (default: the reference manifest)")
    stage = replay.add_mutually_exclusive_group()
    stage.add_argument("--stage", type=int, help="0 = base tree, N = after patch N (default: last)")
    stage.add_argument("--all-stages", action="store_true", help="every stage and its delta")
    replay.add_argument("--arch", help="x86_64 (default), ppc64, s390, arm64")
    replay.add_argument("--size", help="bytes: 2G, 128M, 0x80000000")
    replay.add_argument("--start", help="physical start address: 4G, 0x100000000")
    replay.add_argument("--block-size", help="memory block size (default: the arch's)")
    replay.add_argument("--driver", help="who hot-adds: acpi (default), hyperv, xen, devm")
    replay.add_argument("--chunk", help="bytes per add_memory() call (default: the driver's)")
    replay.add_argument(
        "--config", nargs="*", default=[], metavar="KEY=VALUE", help="CONFIG_DEBUG_VM=n, ..."
    )
    replay.add_argument("--kconfig", metavar="PATH", help="read the options from a full .config")
    replay.add_argument("--offline", action="store_true", help="never use the network")
    replay.add_argument("--json", action="store_true")
    limits.add_flags(replay)


def _flows_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    flows = sub.add_parser("flows", help="the flows replay knows and their parameters")
    flows.add_argument("--json", action="store_true")


def _verdicts_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    verdicts = sub.add_parser("verdicts", help="per patch: behaviour delta on the model, own words")
    _source_args(verdicts, tree=True)
    verdicts.add_argument("--json", action="store_true")


def _report_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="write the HTML report, CSV tables and graph files")
    _source_args(report, tree=True)
    report.add_argument("-o", "--output", help="the folder (default: reports/<series-name>/)")
    report.add_argument("--previous", help="an earlier version of the series, for a range-diff")
    report.add_argument("--baseline", help="waivers file (default: .patchscope-baseline.toml)")
    report.add_argument("--kernel-result", help="a saved `patchscope kernel --json` to show")


def _kernel_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    kernel = sub.add_parser("kernel", help="a flow on Linux under QEMU beside the model's replay")
    kernel.add_argument("flow", help="hot-add, online, offline, hot-remove, lifecycle")
    kernel.add_argument("--kernel", help="the vmlinuz to boot (default: $PATCHSCOPE_KERNEL, cache)")
    kernel.add_argument("--append", default="", help="more kernel command line")
    kernel.add_argument("--size", default="1G", help="bytes per DIMM: 1G, 128M (default 1G)")
    kernel.add_argument("--dimms", type=int, default=1, help="DIMMs of --size, side by side")
    kernel.add_argument("--online-type", choices=["movable", "kernel"], default="movable")
    kernel.add_argument("--series", help="SOURCE with a model (default: the reference manifest)")
    kernel.add_argument("--stage", type=int, default=0, help="the model's stage (0 = base tree)")
    kernel.add_argument("--json", action="store_true")
    limits.add_flags(kernel, time_limit=0)  # boots take as long as the machine needs


def _batch_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    batch = sub.add_parser("batch", help="every series in mboxes or folders: index and database")
    batch.add_argument("sources", nargs="+", metavar="SOURCE", help="mbox files or folders")
    batch.add_argument("-o", "--output", required=True, help="the folder for the index and DB")
    batch.add_argument(
        "--workers", type=int, help="pool processes, or --scheduler local's (default: the cores)"
    )
    batch.add_argument(
        "--scheduler", help="a Dask scheduler (tcp://HOST:8786), or 'local' to start a LocalCluster"
    )
    batch.add_argument("--offline", action="store_true", help="never use the network")
    limits.add_flags(batch, time_limit=0)  # an archive takes as long as it takes


def _hook_args(sub: _Sub[argparse.ArgumentParser]) -> None:
    from patchscope.hooks import HOOKS

    hook = sub.add_parser("hook", help="install, uninstall or run patchscope's git hooks")
    actions = hook.add_subparsers(dest="action", required=True)
    for action in ("install", "uninstall"):
        one = actions.add_parser(action, help=f"{action} hook scripts in a repository")
        one.add_argument("--hook", action="append", choices=HOOKS, help="repeatable")
        one.add_argument("--repo", default=".", help="the repository (default: here)")
        if action == "install":
            one.add_argument("--force", action="store_true", help="replace a foreign hook")
    run = actions.add_parser("run", help="what the installed hook scripts call")
    run.add_argument("hook_name", choices=HOOKS)
    run.add_argument("hook_args", nargs=argparse.REMAINDER, help="what git gives the hook")
    run.add_argument("--fail-on", choices=FAIL_ON, default="error")


# command -> what adds its sub-parser, in the order help lists them
_ARGUMENTS: dict[str, Callable[[_Sub[argparse.ArgumentParser]], None]] = {
    "stat": _stat_args,
    "rangediff": _rangediff_args,
    "graph": _graph_args,
    "entities": _entities_args,
    "impact": _impact_args,
    "check": _check_args,
    "explore": _explore_args,
    "claims": _claims_args,
    "replay": _replay_args,
    "kernel": _kernel_args,
    "flows": _flows_args,
    "verdicts": _verdicts_args,
    "report": _report_args,
    "batch": _batch_args,
    "hook": _hook_args,
}


def _quiet_args(parser: argparse.ArgumentParser, sub: _Sub[argparse.ArgumentParser]) -> None:
    """--quiet before or after the command; SUPPRESS keeps a command's default from
    overwriting a --quiet given before it."""
    text = "print nothing but errors; the exit code tells the rest"
    parser.add_argument("-q", "--quiet", action="store_true", help=text)
    for command in sub.choices.values():
        command.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS)


# command -> (module, function); the function takes the parsed arguments, returns the exit code
COMMANDS: dict[str, tuple[str, str]] = {
    "stat": ("patchscope.commands.stat", "main"),
    "rangediff": ("patchscope.commands.rangediff", "main"),
    "graph": ("patchscope.commands.graph", "main"),
    "entities": ("patchscope.commands.entities", "main"),
    "impact": ("patchscope.commands.impact", "main"),
    "check": ("patchscope.commands.check", "main"),
    "explore": ("patchscope.commands.explore", "main"),
    "hook": ("patchscope.commands.hook", "main"),
    "claims": ("patchscope.commands.claims", "main"),
    "replay": ("patchscope.commands.replay", "main"),
    "flows": ("patchscope.commands.flows", "main"),
    "verdicts": ("patchscope.commands.verdicts", "main"),
    "report": ("patchscope.commands.report", "main"),
    "batch": ("patchscope.commands.batch", "main"),
    "kernel": ("patchscope.commands.kernel", "main"),
}


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    args = _parser(_invoked(given)).parse_args(given)
    module, name = COMMANDS[args.command]
    try:
        run: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), name)
        with (
            limits.applied(limits.from_args(args), _what(args)),
            _silenced() if args.quiet else contextlib.nullcontext(),
        ):
            return run(args)
    except PatchscopeError as exc:
        print(f"patchscope: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_BAD_INPUT


def _what(args: argparse.Namespace) -> str:
    """What a command reads, for the time limit's message."""
    named = [getattr(args, name, None) for name in ("source", "series", "old", "new")]
    named += getattr(args, "sources", None) or []
    return ", ".join(value for value in named if value) or str(args.command)


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """--quiet: the command's output goes nowhere; errors are printed after it returns."""
    with (
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        yield


if __name__ == "__main__":
    sys.exit(main())
