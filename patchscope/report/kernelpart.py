"""The report's "checked against Linux" section, from a saved `patchscope kernel --json`:
the flow's rows (model, kernel, agree or the by-design entry) and the 6.1 lines cited.

The file is checked against kernel.schema.json before anything of it is used: it is the
user's file, and a report must not print half of a wrong one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from patchscope.errors import PatchscopeError


class KernelResultError(PatchscopeError):
    """--kernel-result names no readable `kernel --json` result."""


@dataclass(frozen=True)
class KernelRow:
    phase: str
    observable: str
    model: str
    kernel: str
    verdict: str  # "agrees", "by design: <id>", "disagrees"
    ok: bool
    busy: bool  # the kernel had failed with EBUSY by this phase: no verdict


@dataclass(frozen=True)
class KernelPart:
    title: str
    rows: tuple[KernelRow, ...]
    by_design: tuple[tuple[str, str, str, str], ...]  # (id, why, file, line)
    notes: tuple[str, ...]
    agree: bool
    busy: str | None  # the phase the kernel failed with EBUSY (its own allocations in the way)


@cache
def _schema() -> dict[str, Any]:
    text = files("patchscope").joinpath("schema", "kernel.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def load_kernel_result(path: str) -> KernelPart:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise KernelResultError(f"{path}: cannot read it: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KernelResultError(f"{path}: not a `patchscope kernel --json` result: {exc}") from None
    try:
        jsonschema.validate(document, _schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(map(str, exc.absolute_path)) or "the top"
        raise KernelResultError(f"{path}: not a `kernel --json` result at {where}") from None
    return kernel_part(document)


def kernel_part(d: dict[str, Any]) -> KernelPart:
    title = (
        f"{d['flow']} of {d['dimms']} x {d['size'] >> 20} MiB ({d['online_type']}) on Linux "
        f"{d['kernel_release']} ({d['accel']}) against the model at stage {d['stage']}"
        + (f"; kernel command line: {d['append']}" if d["append"] else "")
    )
    rows = tuple(
        KernelRow(
            phase=r["phase"],
            observable=r["observable"],
            model=_cell(r["model"]),
            kernel=_cell(r["kernel"]),
            verdict=_verdict(r),
            ok=r["agree"] or r["by_design"] is not None,
            busy=r["busy"],
        )
        for r in d["rows"]
    )
    entries = tuple((e["id"], e["why"], e["file"], e["line"]) for e in d["by_design"])
    return KernelPart(title, rows, entries, tuple(d["notes"]), d["agree"], d["kernel_busy"])


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def _verdict(r: dict[str, Any]) -> str:
    if r["agree"]:
        return "agrees"
    if r["by_design"]:
        return f"by design: {r['by_design']}"
    return "kernel busy (EBUSY): not compared" if r["busy"] else "disagrees"
