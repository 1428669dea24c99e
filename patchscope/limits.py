"""Limits on what one command reads and how long it runs, so hostile input ends in one line.

The defaults are far above any real series (the largest lore threads are a few MiB, a
mail's longest line a few KiB, its MIME tree a few levels deep) and far below what
would exhaust a machine. Every command that takes a SOURCE has one flag per limit.

The active limits live in a context variable the CLI sets for the whole command: they
are a policy of the run, like --offline, and threading them through every stage's
signature would tie each stage to the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, fields
from types import FrameType

from patchscope.errors import LimitError

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """How much input a command takes and how long it may run: one flag each (add_flags)."""

    # Bytes read from one source: a file, a folder's files together, a git range's
    # format-patch output, a lore thread (decompressed).
    max_input_bytes: int = 256 * MiB
    # Bytes in one line of a mail or diff (base85 binary patches use 66).
    max_line_length: int = 1 * MiB
    # Bytes in one header of a mail, folded lines included (RFC 5322 asks for 998 a line).
    max_header_length: int = 64 << 10
    # Levels of multipart inside multipart in one mail.
    max_mime_depth: int = 32
    # Patch mails (mails carrying a diff or numbered N/M) in one source.
    max_patches: int = 1000
    # Wall-clock seconds for the whole command; 0 means no limit.
    time_limit: float = 600.0


DEFAULT = Limits()
_HELP = {
    "max_input_bytes": "bytes read from one source",
    "max_line_length": "bytes in one line",
    "max_header_length": "bytes in one mail header",
    "max_mime_depth": "multipart levels in one mail",
    "max_patches": "patch mails in one source",
    "time_limit": "wall-clock seconds for the command, 0 for none",
}
_ACTIVE: ContextVar[Limits] = ContextVar("patchscope_limits", default=DEFAULT)


def flag(name: str) -> str:
    """The command-line flag that sets the limit `name` (a field of Limits)."""
    return "--" + name.replace("_", "-")


def add_flags(parser: argparse.ArgumentParser, *, time_limit: float = DEFAULT.time_limit) -> None:
    """One flag per limit; `time_limit` changes that flag's default (batch has none)."""
    group = parser.add_argument_group("limits")
    for item in fields(Limits):
        default = time_limit if item.name == "time_limit" else getattr(DEFAULT, item.name)
        kind = float if item.name == "time_limit" else int
        group.add_argument(
            flag(item.name),
            type=kind,
            default=default,
            metavar="SECONDS" if item.name == "time_limit" else "N",
            help=f"{_HELP[item.name]} (default: {default})",
        )


def from_args(args: argparse.Namespace) -> Limits:
    """The limits a command's flags set; a command without them gets the defaults."""
    values = {item.name: getattr(args, item.name, None) for item in fields(Limits)}
    limits = Limits(**{name: value for name, value in values.items() if value is not None})
    for name, value in vars(limits).items():
        if not math.isfinite(value) or value < 0 or (value == 0 and name != "time_limit"):
            raise LimitError(f"{flag(name)} must be a positive number, not {value}")
    return limits


def current() -> Limits:
    return _ACTIVE.get()


def check(where: str, what: str, value: int, name: str) -> None:
    """Raise LimitError when `value` (of `what`, found in `where`) exceeds the limit `name`."""
    limit: int = getattr(current(), name)
    if value > limit:
        raise LimitError(
            f"{where}: {what} is {value:,}, over the limit of {limit:,} "
            f"(raise it with {flag(name)})"
        )


@contextlib.contextmanager
def applied(limits: Limits, what: str) -> Iterator[None]:
    """Make `limits` the active ones; in the main thread, also arm the time limit.

    SIGALRM can only be handled in the main thread, so a worker process or thread
    runs with the size limits alone (its caller sets them with this same function).
    """
    token = _ACTIVE.set(limits)
    timed = limits.time_limit > 0 and threading.current_thread() is threading.main_thread()
    if timed:
        previous = signal.signal(signal.SIGALRM, _out_of_time(what, limits.time_limit))
        signal.setitimer(signal.ITIMER_REAL, limits.time_limit)
    try:
        yield
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        _ACTIVE.reset(token)


def _out_of_time(what: str, seconds: float) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise LimitError(
            f"{what}: still running after {seconds:g} s, over the time limit "
            f"(raise it with {flag('time_limit')})"
        )

    return handler
