"""`patchscope claims SOURCE [--json]`: every claim of the manifest, its quote checked and its
numbers replayed on the series' model; exit 1 when one fails, 2 when there is no model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from patchscope.commands.output import write_json
from patchscope.errors import EXIT_CLEAN, EXIT_FINDINGS
from patchscope.model.claims import (
    ClaimResult,
    check_claims,
    model_replayer,
    read_claims,
    written_in_hex,
)


def main(args: argparse.Namespace) -> int:
    return run_claims(args.source, as_json=args.json, offline=args.offline)


def run_claims(source: str, *, as_json: bool, offline: bool) -> int:
    from patchscope.model.memory_hotplug.stages import (
        NO_MODEL,
        NoModelError,
        model_name,
        series_model,
    )
    from patchscope.pipeline import load_series

    module = model_name(source)
    if module is None:  # known before the series is loaded (which may mean a download)
        raise NoModelError(NO_MODEL)
    series = load_series(source, offline=offline)
    stages = series_model(series, module)
    results = check_claims(series, read_claims(Path(source)), model_replayer(stages))
    if as_json:
        write_json([r.to_json() for r in results])
    else:
        print_results(results)
    return EXIT_CLEAN if all(r.ok for r in results) else EXIT_FINDINGS


def print_results(results: list[ClaimResult]) -> None:
    """One line per claim: ok or FAIL, where the text says it, what it says and what ran."""
    out = sys.stdout
    for r in results:
        c = r.claim
        verdict = "ok  " if r.ok else "FAIL"
        shown = _shown(r)
        out.write(f"{verdict} {c.source:<10} {c.observable} = {shown} (text: {c.expected})\n")
        out.write(f"     {c.flow} {_params(r)}: {c.quote}\n")
        if r.reason:
            out.write(f"     {r.reason}\n")
    failed = sum(not r.ok for r in results)
    out.write(f"{len(results)} claims, {failed} failed\n")


def _shown(r: ClaimResult) -> str:
    """The replayed value the way the text writes it: addresses in hex."""
    if isinstance(r.replayed, int) and written_in_hex(r.claim.expected):
        return f"{r.replayed:#x}"
    return str(r.replayed)


def _params(r: ClaimResult) -> str:
    stage = "" if r.claim.stage is None else f" stage={r.claim.stage}"
    return " ".join(f"{k}={v}" for k, v in r.claim.params) + stage
