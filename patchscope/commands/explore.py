"""`patchscope explore SOURCE [--stage N] [--arch A] [--budget N] [--seed S] [--json]`: the
model's findings for a series, searched harder or elsewhere than `check` does; printed as
`check` prints findings (same rules, fingerprints and exit codes)."""

from __future__ import annotations

import argparse
import dataclasses

from patchscope.baseline import judge
from patchscope.commands.check import report
from patchscope.errors import PatchscopeError
from patchscope.model.memory_hotplug.config import ARCHES


class ExploreError(PatchscopeError):
    """A series without a model, or a stage, arch or budget the model cannot take."""


def main(args: argparse.Namespace) -> int:
    from patchscope.gather import model_findings, model_of
    from patchscope.model.findings import DEFAULT_BUDGET
    from patchscope.pipeline import load_series

    for arch in args.arch or ():
        if arch not in ARCHES:
            raise ExploreError(f"--arch {arch}: the model has {', '.join(ARCHES)}")
    if args.budget is not None and args.budget < 1:
        raise ExploreError(f"--budget {args.budget}: at least one sequence per search")
    series = load_series(args.source, offline=args.offline)
    module = model_of(series, args.source)
    if module is None:
        raise ExploreError(f"{args.source}: no manifest in series/ gives this series a model")
    if args.stage is not None and not 0 <= args.stage <= len(series.patches):
        raise ExploreError(f"--stage {args.stage}: stages are 0..{len(series.patches)}")
    budget = dataclasses.replace(
        DEFAULT_BUDGET,
        examples=args.budget or DEFAULT_BUDGET.examples,
        seed=args.seed,
        arches=tuple(args.arch or DEFAULT_BUDGET.arches),
        stage=args.stage,
    )
    found, _ = model_findings(series, module, budget)
    return report(judge(found, None), as_json=args.json, fail_on="error")
