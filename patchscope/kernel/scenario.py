"""A scenario checked against Linux: its flow on a booted kernel and on the model at a
stage, compared. Several scenarios boot their guests in parallel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from patchscope.ingest.manifest import DEFAULT_SERIES
from patchscope.kernel import guest, session
from patchscope.kernel.compare import Comparison, compare, refused_by_qemu
from patchscope.kernel.image import kernel_cache
from patchscope.kernel.model_side import ModelPhase, params_for, replay_phases
from patchscope.kernel.observe import ZONE_OF, model_observed, zone_counts
from patchscope.kernel.session import PHASES, KernelRun, Request
from patchscope.model.memory_hotplug.flows import FlowParams, make_config, stage_of
from patchscope.model.memory_hotplug.kernel import Kernel, StageLike


@dataclass(frozen=True)
class Scenario:
    request: Request
    stage: int = 0  # 0: the base tree, whatever the series
    series: str | None = None  # a SOURCE with a model; None: the reference manifest


def check(
    kernel: Path, scenarios: Sequence[Scenario], accel: str | None = None
) -> list[Comparison]:
    stages = [model_stage(s.series, s.stage) for s in scenarios]  # bad input fails before boots
    runs = session.run(kernel, kernel_cache(), [s.request for s in scenarios], accel)
    return [compare_run(*each) for each in zip(scenarios, stages, runs, strict=True)]


def model_stage(series: str | None, number: int) -> StageLike | None:
    """The series' stage `number` (None for the base tree: the model's own v5.0)."""
    if number == 0 and series is None:
        return None
    from patchscope.model.memory_hotplug.stages import model_name, series_model
    from patchscope.pipeline import load_series

    source = series or str(DEFAULT_SERIES)
    return stage_of(series_model(load_series(source, offline=True), model_name(source)), number)


def compare_run(s: Scenario, stage: StageLike | None, run: KernelRun) -> Comparison:
    """The kernel's run beside the model's replay of the same flow at `stage`."""
    r = run.request
    zone = ZONE_OF[r.online_type]
    params = params_for(r.size, r.dimms, run.start, r.online_type, guest.BOOT_MEMORY)
    model = (
        _untouched(params, stage, zone, run.phases[0].outcome)
        if refused_by_qemu(run)
        else replay_phases(PHASES[r.flow], params, stage, zone)
    )
    unit = 1 << make_config(params).vmemmap_page_order
    return compare(run, model, s.stage, zone, unit)


def _untouched(
    params: FlowParams, stage: StageLike | None, zone: str, outcome: str
) -> list[ModelPhase]:
    """QEMU refused the DIMM, so the kernel was never offered it: the model is left as it
    booted, and only what the kernel saw is compared."""
    k = Kernel(make_config(params), stage)
    counts = zone_counts(k, zone)
    observed = model_observed(k, counts, outcome, params.start, 0, zone)  # an empty range
    return [ModelPhase("hot-add", observed, "not replayed: QEMU refused the DIMM", False)]
