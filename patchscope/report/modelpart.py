"""The report's optional model section: claims replayed, and what each patch changes.

The semantic model (patchscope.model) knows only some series; for the others, or when
the model is not installed, the report leaves this section out and says nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from patchscope.ingest.series import Series

if TYPE_CHECKING:
    from patchscope.model.claims import ClaimResult


@dataclass(frozen=True)
class ClaimRow:
    """One claim of the series, as `patchscope claims --json` shows it, flattened to text."""

    quote: str
    source: str
    flow: str
    params: str  # "key=value" pairs, sorted, space-separated
    observable: str
    expected: str
    replayed: str
    ok: bool


@dataclass(frozen=True)
class StageRow:
    """One observable of one standard flow at one stage (0 = the base tree)."""

    stage: int
    flow: str
    observable: str
    value: str


@dataclass(frozen=True)
class ModelPart:
    claims: tuple[ClaimRow, ...]
    stages: tuple[StageRow, ...]
    # patch -> "flow: observable old -> new" lines against the stage before it
    behaviour: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    # patch -> the verdict on the patch's own words ("no functional change": holds)
    verdicts: Mapping[int, str] = field(default_factory=dict)


def model_part(source: str, series: Series) -> ModelPart | None:
    """The model's results for the series SOURCE names, or None when it has no model."""
    try:
        from patchscope.model.claims import check_claims, model_replayer, read_claims
        from patchscope.model.memory_hotplug.stages import NoModelError, model_name, series_model
    except ImportError:  # the model is an optional part of an installation
        return None
    module = model_name(source)
    if module is None:
        return None
    try:
        stages = series_model(series, module)
    except NoModelError:
        return None
    results = check_claims(series, read_claims(Path(source)), model_replayer(stages))
    return ModelPart(claims=tuple(_claim_row(r) for r in results), stages=())


def _claim_row(result: ClaimResult) -> ClaimRow:
    c = result.claim
    params = " ".join(f"{key}={value}" for key, value in c.params)
    if c.stage is not None:
        params = f"{params} stage={c.stage}".strip()
    replayed = "" if result.replayed is None else str(result.replayed)
    if result.reason and not result.ok:
        replayed = f"{replayed} ({result.reason})".strip()
    return ClaimRow(
        c.quote, c.source, c.flow, params, c.observable, str(c.expected), replayed, result.ok
    )
