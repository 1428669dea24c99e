"""`patchscope kernel FLOW`: the flow on Debian's Linux under QEMU and on the model, one
row per phase and observable: model, kernel, agree (or the 6.1 behaviour that explains
why not)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from patchscope.commands.output import write_json, write_text
from patchscope.errors import EXIT_CLEAN, EXIT_FINDINGS, PatchscopeError

if TYPE_CHECKING:
    from patchscope.kernel.compare import Comparison, Row


class KernelArgumentError(PatchscopeError):
    """An argument of `patchscope kernel` that names nothing usable."""


def main(args: argparse.Namespace) -> int:
    from patchscope.kernel import image
    from patchscope.kernel.scenario import Scenario, check
    from patchscope.kernel.session import PHASES, Request
    from patchscope.model.memory_hotplug.config import parse_size

    if args.flow not in PHASES:
        raise KernelArgumentError(f"unknown flow '{args.flow}' (one of {', '.join(PHASES)})")
    kernel = Path(args.kernel) if args.kernel else image.default_kernel()
    if kernel is None:
        raise KernelArgumentError(
            f"no kernel: give --kernel VMLINUZ or set {image.ENV} (see README: patchscope kernel)"
        )
    if not kernel.is_file():
        raise KernelArgumentError(f"{kernel}: no such kernel image")
    if args.dimms < 1:
        raise KernelArgumentError(f"--dimms {args.dimms}: at least one DIMM")
    size = parse_size(args.size)
    request = Request(args.flow, size, args.online_type, args.append, args.dimms)
    (comparison,) = check(kernel, [Scenario(request, args.stage, args.series)])
    if args.json:
        write_json(comparison.to_json())
    else:
        write_text(render(comparison))
    return EXIT_CLEAN if comparison.agree else EXIT_FINDINGS


def render(c: Comparison) -> str:
    """The comparison as a terminal table, the by-design entries and the notes."""
    head = (
        f"{c.flow}: {c.dimms} x {c.size} bytes at {c.start:#x} ({c.online_type}), "
        f"Linux {c.release} under {c.accel} (boot {c.boot_seconds:.1f} s, "
        f"all {c.seconds:.1f} s{', booted twice' if c.boots > 1 else ''}), model at stage {c.stage}"
    )
    lines = [head, f"append: {c.append or '-'}", ""]
    rows = [("phase", "observable", "model", "kernel", "agree")]
    for r in c.rows:
        agree = _verdict(r)
        rows.append((r.phase, r.observable, _cell(r.model), _cell(r.kernel), agree))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines += [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[4]])
        for row in rows
    ]
    for entry in c.by_design():
        lines += ["", f"by design {entry.id}: {entry.why}", f"  {entry.file}: {entry.line}"]
    lines += ["", *(f"note: {n}" for n in c.notes)]
    if c.busy_phase is not None:
        lines.append(
            f"the kernel's {c.busy_phase} failed with EBUSY: its own unmovable allocations sit in"
            " the range (a kernel zone); rows from there judge nothing: use --online-type movable"
        )
    verdict = "the model disagrees" if c.model_bugs else "every row agrees or is by design"
    return "\n".join([*lines, verdict if c.busy_phase is None or c.model_bugs else "", ""])


def _verdict(r: Row) -> str:
    if r.agree:
        return "yes"
    if r.by_design:
        return f"by design: {r.by_design}"
    return "kernel busy" if r.busy else "NO"


def _cell(value: object) -> str:
    return "-" if value is None else str(value)
