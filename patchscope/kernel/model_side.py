"""The same flow, phase by phase, on the semantic model: the phases are the model's own
flow steps (flows.hot_add, online, offline, hot_remove), driven by an ACPI driver as the
guest's pc-dimm is, on a machine with the guest's boot memory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from patchscope.kernel.observe import Observed, model_observed, zone_counts
from patchscope.model.memory_hotplug import flows
from patchscope.model.memory_hotplug.flows import FlowParams, Steps
from patchscope.model.memory_hotplug.kernel import Kernel, KernelError, StageLike
from patchscope.model.memory_hotplug.observe import memmap_backing

PHASE_STEPS: dict[str, Callable[[Kernel, FlowParams], Steps]] = {
    "hot-add": flows.hot_add,
    "online": flows.online,
    "offline": flows.offline,
    "hot-remove": flows.hot_remove,
}


@dataclass(frozen=True)
class ModelPhase:
    name: str
    observed: Observed
    detail: str  # the model's error message, when the phase failed
    memmap_in_range: bool  # the range's memmap lives (partly) on the range itself


def params_for(size: int, dimms: int, start: int, online_type: str, boot_memory: int) -> FlowParams:
    """Several DIMMs are several add_memory() calls, one a DIMM, side by side."""
    return flows.parse_params(
        size=size * dimms,
        start=start,
        driver="acpi",
        chunk=size if dimms > 1 else None,
        online_type=online_type,
        config=[f"boot_memory_end={boot_memory}"],
    )


def replay_phases(
    phases: Sequence[str], params: FlowParams, stage: StageLike | None, zone: str
) -> list[ModelPhase]:
    """Each phase in turn until one fails, as the guest's flow stops at a failure."""
    k = Kernel(flows.make_config(params), stage)
    before = zone_counts(k, zone)
    out: list[ModelPhase] = []
    for name in phases:
        outcome, detail = "ok", ""
        try:
            for _ in PHASE_STEPS[name](k, params):
                pass
        except KernelError as exc:
            # the ACPI driver reports a failed add_memory() only as failed (see session.py)
            outcome, detail = ("refused" if name == "hot-add" else exc.errno), exc.message
        observed = model_observed(k, before, outcome, params.start, params.size, zone)
        inside, _ = memmap_backing(
            k, k.config.pfn(params.start), k.config.pfn(params.start + params.size)
        )
        out.append(ModelPhase(name, observed, detail, bool(inside)))
        if outcome != "ok":
            break
    return out
