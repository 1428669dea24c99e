"""Per-patch verdicts: what each patch changes in behaviour, next to what it says it does.

For every patch, the standard scenarios are replayed at the stage before it and at its own
stage; the observables that differ are its behaviour delta. Its diffstat and its own words
("no functional change", "rename", "cleanup") stand beside the delta, so a reviewer sees a
"no functional change" patch that changes a number, or a patch whose delta is empty while
its message promises a change. The traces, joined with the graph, tell which functions the
patch touches that some scenario executes and which no scenario reaches.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from patchscope.checks.claim_mismatch import claims as said_claims
from patchscope.diff.model import Diffstat
from patchscope.ingest.series import Patch, Series

if TYPE_CHECKING:
    import networkx as nx

    from patchscope.model.memory_hotplug.flows import Replay
    from patchscope.model.memory_hotplug.stages import Stage

STANDARD_FLOWS = ("hot-add", "online", "offline", "hot-remove")
ARCHES = ("x86_64", "ppc64", "s390", "arm64")
# Where each modelled arch's code lives, so an arch function is matched with its own arch's
# trace (arch_add_memory of arch/powerpc runs only when ppc64 is replayed); x86's *_32.c
# files are the 32-bit kernel's, which no replay models.
ARCH_FILES = {
    "x86_64": re.compile(r"arch/x86/(?!.*_32\.[ch]$)"),
    "ppc64": re.compile(r"arch/powerpc/"),
    "s390": re.compile(r"arch/s390/"),
    "arm64": re.compile(r"arch/arm64/"),
}
# x86_64 scenarios beyond the standard flows: a hole in the range and an HWPoison page
# change what offline must count; the failure flows run with their own defaults.
# Every other caller of the hotplug paths the model knows: the balloon drivers, device
# memory with and without an altmap; and removal in pieces: part of a two-block add, and
# both blocks last to first.
EXTRA_SCENARIOS: tuple[tuple[str, str, Mapping[str, Any]], ...] = (
    ("offline", "x86_64", {"holes": ((2 << 20, 2 << 20),)}),
    ("offline-hwpoison", "x86_64", {}),
    ("hot-add-no-order8", "ppc64", {}),
    ("online", "x86_64", {"driver": "hyperv"}),
    ("online", "x86_64", {"driver": "xen"}),
    ("hot-remove", "x86_64", {"driver": "devm"}),
    ("hot-remove", "x86_64", {"altmap": True, "driver": "devm"}),
    ("lifecycle", "x86_64", {"blocks": (0,), "size": 256 << 20}),
    ("lifecycle", "x86_64", {"blocks": (1, 0), "size": 256 << 20}),
)

# claim_mismatch only reads "no functional change" said plainly; a patch that says it
# "shouldn't introduce any functional change" claims the same.
_NEGATED_NFC = re.compile(
    r"\b(?:should(?:n't| not)|does(?:n't| not)|won't|will not)\s+(?:introduce|cause|make)\s+"
    r"any\s+functional\s+changes?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Scenario:
    flow: str
    arch: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        extra = "".join(f" {k}={v}" for k, v in self.params)
        return f"{self.flow} {self.arch}{extra}"


@dataclass(frozen=True)
class ScenarioDelta:
    scenario: Scenario
    observables: Mapping[str, tuple[Any, Any]]  # name -> (previous stage, this stage)
    findings_gained: tuple[str, ...]  # invariant rules firing now and not before
    findings_lost: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.observables or self.findings_gained or self.findings_lost)

    def to_json(self) -> dict[str, object]:
        return {
            "scenario": self.scenario.label,
            "observables": {k: list(v) for k, v in self.observables.items()},
            "findings_gained": list(self.findings_gained),
            "findings_lost": list(self.findings_lost),
        }


@dataclass(frozen=True)
class Verdict:
    patch: int
    title: str
    diffstat: Diffstat
    says: tuple[tuple[str, str], ...]  # (claim, the line that makes it)
    deltas: tuple[ScenarioDelta, ...]  # only the scenarios whose replay changed
    executed: tuple[str, ...]  # touched functions some scenario runs, before or after the patch
    unreached: tuple[str, ...]  # touched functions no scenario runs

    @property
    def behaviour_changes(self) -> bool:
        return bool(self.deltas)

    def to_json(self) -> dict[str, object]:
        return {
            "patch": self.patch,
            "title": self.title,
            "diffstat": self.diffstat.to_json(),
            "says": [{"claim": c, "line": line} for c, line in self.says],
            "behaviour_changes": self.behaviour_changes,
            "deltas": [d.to_json() for d in self.deltas],
            "executed": list(self.executed),
            "unreached": list(self.unreached),
        }


def scenarios() -> tuple[Scenario, ...]:
    standard = [Scenario(f, a) for a in ARCHES for f in STANDARD_FLOWS]
    extra = [Scenario(f, a, tuple(sorted(p.items()))) for f, a, p in EXTRA_SCENARIOS]
    return (*standard, *extra)


def says(patch: Patch) -> tuple[tuple[str, str], ...]:
    """The patch's own words about itself, in claim_mismatch's vocabulary."""
    found = dict(said_claims(patch))
    if "no functional change" not in found:
        line = next(
            (ln.strip() for ln in patch.message.splitlines() if _NEGATED_NFC.search(ln)), None
        )
        if line is not None:
            found["no functional change"] = line
    return tuple(sorted(found.items()))


def replay_stages(
    stages: Sequence[Stage], chosen: Sequence[Scenario] | None = None
) -> dict[tuple[Scenario, int], Replay]:
    """Every scenario (or those chosen) at every stage, once: verdicts compare neighbours."""
    from patchscope.model.memory_hotplug.flows import (
        flow_named,
        parse_params,
        replay,
        with_defaults,
    )

    done = {}
    for scenario in scenarios() if chosen is None else chosen:
        flow = flow_named(scenario.flow)
        given = dict(scenario.params)
        asked = dataclasses.replace(parse_params(arch=scenario.arch), **given)
        params = with_defaults(flow, asked, ("arch", *given))
        for stage in stages:
            done[(scenario, stage.number)] = replay(flow, params, stages, stage=stage.number)
    return done


def scenario_delta(scenario: Scenario, before: Replay, after: Replay) -> ScenarioDelta:
    from patchscope.model.memory_hotplug.flows import delta

    rules_before = {f.rule for f in before.findings}
    rules_after = {f.rule for f in after.findings}
    changed = {k: (v[0], v[1]) for k, v in delta(before.observables, after.observables).items()}
    return ScenarioDelta(
        scenario,
        changed,
        tuple(sorted(rules_after - rules_before)),
        tuple(sorted(rules_before - rules_after)),
    )


def touched_functions(graph: nx.MultiDiGraph, patch: int) -> tuple[tuple[str, str], ...]:
    """(file, name) of the functions the patch modifies, as the graph records them."""
    from patchscope.graph.query import touched

    nodes = graph.nodes
    return tuple(
        sorted(
            (str(nodes[n]["file"]), str(nodes[n]["name"]))
            for n in touched(graph, patch)
            if nodes[n].get("kind") == "function"
        )
    )


def executed_by_arch(
    replays: Mapping[tuple[Scenario, int], Replay], stages: set[int]
) -> dict[str, set[str]]:
    """Kernel function names each arch's replays at these stages run."""
    ran: dict[str, set[str]] = {arch: set() for arch in ARCHES}
    for (scenario, stage), r in replays.items():
        if stage in stages:
            ran[scenario.arch].update(str(t["function"]) for t in r.trace)
    return ran


def runs(file: str, name: str, ran: Mapping[str, set[str]]) -> bool:
    """Whether some replay runs the function: an arch's own file only in that arch's replays."""
    arches = [a for a, pattern in ARCH_FILES.items() if pattern.match(file)]
    if file.startswith("arch/") and not arches:
        return False  # an arch the model does not have (ia64, sh, x86 32-bit...)
    return any(name in ran[a] for a in (arches or ARCHES))


def verdict(
    patch: Patch,
    replays: Mapping[tuple[Scenario, int], Replay],
    graph: nx.MultiDiGraph,
) -> Verdict:
    k = patch.number
    deltas = (scenario_delta(s, replays[(s, k - 1)], replays[(s, k)]) for s in scenarios())
    ran = executed_by_arch(replays, {k - 1, k})
    functions = touched_functions(graph, k)
    return Verdict(
        patch=k,
        title=patch.subject.title,
        diffstat=patch.computed,
        says=says(patch),
        deltas=tuple(d for d in deltas if d.changed),
        executed=tuple(_label(f, n) for f, n in functions if runs(f, n, ran)),
        unreached=tuple(_label(f, n) for f, n in functions if not runs(f, n, ran)),
    )


def _label(file: str, name: str) -> str:
    return f"{file}:{name}"


def verdicts(series: Series, stages: Sequence[Stage], graph: nx.MultiDiGraph) -> list[Verdict]:
    replays = replay_stages(stages)
    return [verdict(p, replays, graph) for p in series.patches]
