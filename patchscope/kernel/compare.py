"""Model and kernel side by side: one row per phase and observable, each agreeing,
covered by a by-design entry, or a disagreement (a model bug to fix)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from patchscope.kernel import bydesign
from patchscope.kernel.model_side import ModelPhase
from patchscope.kernel.observe import OBSERVABLES, Observed, kernel_observed, memmap_drop
from patchscope.kernel.session import KernelRun

Value = int | str | None


@dataclass(frozen=True)
class Row:
    phase: str
    observable: str
    model: Value  # None: the model's flow had stopped before this phase
    kernel: Value  # None: the kernel's flow had stopped before this phase
    agree: bool
    by_design: str | None = None  # the entry that explains a disagreement
    busy: bool = False  # from the phase where the kernel failed with EBUSY on: no verdict

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Comparison:
    flow: str
    size: int
    dimms: int
    online_type: str
    append: str
    stage: int
    release: str
    accel: str
    start: int
    block_size: int
    rows: tuple[Row, ...]
    notes: tuple[str, ...]
    boot_seconds: float
    seconds: float
    boots: int
    busy_phase: str | None = None  # the phase the kernel failed with EBUSY and the model not

    @property
    def model_bugs(self) -> tuple[Row, ...]:
        """Disagreements no by-design entry explains (a busy kernel's rows judge nothing)."""
        return tuple(r for r in self.rows if not r.agree and r.by_design is None and not r.busy)

    @property
    def agree(self) -> bool:
        """Every row compared, and each agrees or is by design."""
        return not self.model_bugs and self.busy_phase is None

    def by_design(self) -> list[bydesign.ByDesign]:
        used = {r.by_design for r in self.rows}
        return [e for e in bydesign.ENTRIES if e.id in used]

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "size": self.size,
            "dimms": self.dimms,
            "online_type": self.online_type,
            "append": self.append,
            "stage": self.stage,
            "kernel_release": self.release,
            "accel": self.accel,
            "start": self.start,
            "block_size": self.block_size,
            "rows": [r.to_json() for r in self.rows],
            "by_design": [e.to_json() for e in self.by_design()],
            "notes": list(self.notes),
            "kernel_busy": self.busy_phase,
            "agree": self.agree,
            "boot_seconds": round(self.boot_seconds, 1),
            "seconds": round(self.seconds, 1),
            "boots": self.boots,
        }


def refused_by_qemu(run: KernelRun) -> bool:
    """QEMU would not make the DIMM: the kernel never saw it, nor does the model."""
    return run.phases[0].outcome.startswith("qemu:")


def compare(
    run: KernelRun, model: Sequence[ModelPhase], stage: int, zone: str, unit: int
) -> Comparison:
    """`unit`: pages of one vmemmap mapping, the grain of the kernel's memmap count."""
    r = run.request
    block_size = run.baseline.block_size
    added = 0 if refused_by_qemu(run) else r.size * r.dimms  # QEMU placed nothing
    blocks = range(run.start // block_size, -(-(run.start + added) // block_size))
    kernel = {
        p.name: kernel_observed(run.baseline, p.accounting, p.outcome, blocks, zone, unit)
        for p in run.phases
    }
    modelled = {p.name: p.observed for p in model}
    in_range = any(p.memmap_in_range for p in model)
    busy_phase = _busy_phase(run, modelled)
    busy = False
    rows: list[Row] = []
    for phase in dict.fromkeys([*(p.name for p in run.phases), *modelled]):
        busy = busy or phase == busy_phase
        for name in OBSERVABLES:
            m = modelled[phase][name] if phase in modelled else None
            k = kernel[phase][name] if phase in kernel else None
            agree = m is not None and m == k
            situation = bydesign.Situation(phase, name, r.append, r.size, block_size, in_range)
            entry = None if agree else bydesign.covering(situation)
            rows.append(Row(phase, name, m, k, agree, entry.id if entry else None, busy))
    notes = [
        f"kernel, after {p.name}: boot zones lost {memmap_drop(run.baseline, p.accounting, zone)}"
        f" pages (per-cpu lists counted), {kernel[p.name]['memmap_from_node_pages']} in whole"
        f" {unit}-page memmap units"
        for p in run.phases
    ]
    notes += [f"model, {p.name}: {p.detail}" for p in model if p.detail]
    return Comparison(
        flow=r.flow,
        size=r.size,
        dimms=r.dimms,
        online_type=r.online_type,
        append=r.append,
        stage=stage,
        release=run.release,
        accel=run.accel,
        start=run.start,
        block_size=block_size,
        rows=tuple(rows),
        busy_phase=busy_phase,
        notes=tuple(notes),
        boot_seconds=run.boot_seconds,
        boots=run.boots,
        seconds=run.seconds,
    )


def _busy_phase(run: KernelRun, modelled: Mapping[str, Observed]) -> str | None:
    """The phase where the kernel said EBUSY and the model did not: a range onlined into a
    kernel zone takes the guest's own unmovable allocations, which the model does not make,
    so offline fails there; the flow stops, and what follows is no verdict on the model."""
    for p in run.phases:
        if p.outcome == "EBUSY" and modelled.get(p.name, {}).get("outcome") != "EBUSY":
            return p.name
    return None
