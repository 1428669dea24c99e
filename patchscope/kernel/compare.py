"""Model and kernel side by side: one row per phase and observable, each agreeing,
covered by a by-design entry, or a disagreement (a model bug to fix)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from patchscope.kernel import bydesign
from patchscope.kernel.model_side import ModelPhase
from patchscope.kernel.observe import OBSERVABLES, kernel_observed, memmap_drop
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

    def to_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "observable": self.observable,
            "model": self.model,
            "kernel": self.kernel,
            "agree": self.agree,
            "by_design": self.by_design,
        }


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

    @property
    def model_bugs(self) -> tuple[Row, ...]:
        """Disagreements no by-design entry explains."""
        return tuple(r for r in self.rows if not r.agree and r.by_design is None)

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
            "agree": not self.model_bugs,
            "boot_seconds": round(self.boot_seconds, 1),
            "seconds": round(self.seconds, 1),
        }


def compare(
    run: KernelRun, model: Sequence[ModelPhase], stage: int, zone: str, unit: int
) -> Comparison:
    """`unit`: pages of one vmemmap mapping, the grain of the kernel's memmap count."""
    r = run.request
    block_size = run.baseline.block_size
    blocks = range(run.start // block_size, -(-(run.start + r.size * r.dimms) // block_size))
    kernel = {
        p.name: kernel_observed(run.baseline, p.accounting, p.outcome, blocks, zone, unit)
        for p in run.phases
    }
    modelled = {p.name: p.observed for p in model}
    in_range = any(p.memmap_in_range for p in model)
    rows: list[Row] = []
    for phase in dict.fromkeys([*(p.name for p in run.phases), *modelled]):
        for name in OBSERVABLES:
            m = modelled[phase][name] if phase in modelled else None
            k = kernel[phase][name] if phase in kernel else None
            agree = m is not None and m == k
            situation = bydesign.Situation(phase, name, r.append, r.size, block_size, in_range)
            entry = None if agree else bydesign.covering(situation)
            rows.append(Row(phase, name, m, k, agree, entry.id if entry else None))
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
        notes=tuple(notes),
        boot_seconds=run.boot_seconds,
        seconds=run.seconds,
    )
