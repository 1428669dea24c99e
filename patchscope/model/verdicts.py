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
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from patchscope.checks.claim_mismatch import SEVERITY as STATIC_SEVERITY
from patchscope.checks.claim_mismatch import claims as said_claims
from patchscope.checks.claim_mismatch import verdict_on
from patchscope.diff.model import Diffstat
from patchscope.findings import Finding
from patchscope.ingest.series import Patch, Series
from patchscope.model.memory_hotplug.kernel import registered_functions

if TYPE_CHECKING:
    import networkx as nx

    from patchscope.model.memory_hotplug.flows import FlowParams, Replay
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
    ("hot-add", "x86_64", {"driver": "devm"}),
    ("hot-add", "x86_64", {"altmap": True, "driver": "devm"}),
    ("hot-remove", "x86_64", {"driver": "devm"}),
    ("hot-remove", "x86_64", {"altmap": True, "driver": "devm"}),
    ("lifecycle", "x86_64", {"blocks": (0,), "size": 256 << 20}),
    ("lifecycle", "x86_64", {"blocks": (1, 0), "size": 256 << 20}),
)

# The words of a patch about itself that promise its behaviour stays as it was.
UNCHANGED = ("no functional change", "rename", "cleanup")
CONTRADICTED = "model-claim-contradicted"
EVIDENCE_LINES = 12  # changed observables a contradiction finding lists

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
class ClaimVerdict:
    """One promise of unchanged behaviour, judged twice: by the static claim check on the
    diff, and by the model's replays. The model's contradiction weighs more (error) than
    the static one (warning): it shows a behaviour that changed, not a line that might."""

    claim: str
    line: str  # the words that make it
    static: str  # claim_mismatch.verdict_on: "contradicted", "not proved", "proved", "no finding"
    model: str  # "contradicted", "holds" or "not exercised"
    why: tuple[str, ...]  # the model's evidence: changed scenarios, functions not run

    @property
    def severity(self) -> str:
        if self.model == "contradicted":
            return "error"
        if self.static == "contradicted" or self.model == "not exercised":
            return STATIC_SEVERITY
        return "info"

    @property
    def contradictions(self) -> tuple[tuple[str, str], ...]:
        """(judge, severity) of each side that contradicts the claim, the model's first."""
        sides = (("model", self.model, "error"), ("static", self.static, STATIC_SEVERITY))
        return tuple((by, weight) for by, said, weight in sides if said == "contradicted")

    def to_json(self) -> dict[str, object]:
        return {
            "claim": self.claim,
            "line": self.line,
            "static": self.static,
            "model": self.model,
            "severity": self.severity,
            "why": list(self.why),
        }


@dataclass(frozen=True)
class Verdict:
    patch: int
    title: str
    diffstat: Diffstat
    says: tuple[tuple[str, str], ...]  # (claim, the line that makes it)
    deltas: tuple[ScenarioDelta, ...]  # only the scenarios whose replay changed
    executed: tuple[str, ...]  # touched functions some scenario runs, before or after the patch
    unreached: tuple[str, ...]  # touched functions the model has but no scenario runs
    not_modelled: tuple[str, ...] = ()  # touched functions the model does not have
    claims: tuple[ClaimVerdict, ...] = ()  # each promise of unchanged behaviour, judged

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
            "not_modelled": list(self.not_modelled),
            "claims": [c.to_json() for c in self.claims],
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


def scenario_params(scenario: Scenario) -> FlowParams:
    """The flow parameters a scenario runs with: its own, then its flow's defaults."""
    from patchscope.model.memory_hotplug.flows import flow_named, parse_params, with_defaults

    given = dict(scenario.params)
    asked = dataclasses.replace(parse_params(arch=scenario.arch), **given)
    return with_defaults(flow_named(scenario.flow), asked, ("arch", *given))


def replay_stages(
    stages: Sequence[Stage], chosen: Sequence[Scenario] | None = None
) -> dict[tuple[Scenario, int], Replay]:
    """Every scenario (or those chosen) at every stage, once: verdicts compare neighbours.
    Scenarios with the same parameters replay together, so that the steps their flows
    begin with alike (hot-add, then online...) run once per stage."""
    from patchscope.model.memory_hotplug.flows import flow_named, replay_flows

    picked = scenarios() if chosen is None else chosen
    alike: dict[FlowParams, list[Scenario]] = {}
    for scenario in picked:
        alike.setdefault(scenario_params(scenario), []).append(scenario)
    done: dict[tuple[Scenario, int], Replay] = {}
    for params, group in alike.items():
        flows = [flow_named(s.flow) for s in group]
        for stage in stages:
            replays = replay_flows(flows, params, stages, stage=stage.number)
            done.update(((s, stage.number), r) for s, r in zip(group, replays, strict=True))
    return {(s, stage.number): done[(s, stage.number)] for s in picked for stage in stages}


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


def modelled(file: str, name: str, known: Set[str]) -> bool:
    """Whether the model has the function: a kernel function it knows, in a modelled arch."""
    if file.startswith("arch/") and not any(p.match(file) for p in ARCH_FILES.values()):
        return False  # an arch the model does not have (ia64, sh, x86 32-bit...)
    return name in known


def patch_deltas(
    patch: Patch, replays: Mapping[tuple[Scenario, int], Replay]
) -> tuple[ScenarioDelta, ...]:
    """The scenarios whose replay the patch changes, against the stage before it."""
    k = patch.number
    chosen = dict.fromkeys(s for s, _ in replays)
    deltas = (scenario_delta(s, replays[(s, k - 1)], replays[(s, k)]) for s in chosen)
    return tuple(d for d in deltas if d.changed)


def verdict(
    patch: Patch,
    replays: Mapping[tuple[Scenario, int], Replay],
    graph: nx.MultiDiGraph,
    static: Sequence[Finding] = (),
    known: Set[str] | None = None,
) -> Verdict:
    """One patch: its delta, which of its functions ran, and each promise judged. `static`
    are the claim check's findings; `known`, the functions the model has (default: the base
    model's and any the replays ran)."""
    k = patch.number
    deltas = patch_deltas(patch, replays)
    ran = executed_by_arch(replays, {k - 1, k})
    if known is None:
        known = {*registered_functions(), *(n for names in ran.values() for n in names)}
    functions = touched_functions(graph, k)
    have = [(f, n) for f, n in functions if modelled(f, n, known)]
    executed = tuple(_label(f, n) for f, n in have if runs(f, n, ran))
    unreached = tuple(_label(f, n) for f, n in have if not runs(f, n, ran))
    missing = tuple(_label(f, n) for f, n in functions if not modelled(f, n, known))
    said = says(patch)
    judged = tuple(
        _judged(claim, line, k, deltas, unreached, missing, static)
        for claim, line in promises(said)
    )
    return Verdict(
        k, patch.subject.title, patch.computed, said, deltas, executed, unreached, missing, judged
    )


def _judged(
    claim: str,
    line: str,
    patch: int,
    deltas: Sequence[ScenarioDelta],
    unreached: Sequence[str],
    missing: Sequence[str],
    static: Sequence[Finding],
) -> ClaimVerdict:
    """A claim holds on the model only when no scenario changes and every modelled function
    the patch changes ran; the functions the model does not have are always named."""
    on_diff = verdict_on(claim, patch, static)
    not_modelled = [f"not modelled: {', '.join(missing)}"] if missing else []
    if deltas:
        why = [line for d in deltas for line in delta_lines(d)]
        return ClaimVerdict(claim, line, on_diff, "contradicted", (*why, *not_modelled))
    if unreached:
        why = [f"no scenario runs: {', '.join(unreached)}", *not_modelled]
        return ClaimVerdict(claim, line, on_diff, "not exercised", tuple(why))
    return ClaimVerdict(claim, line, on_diff, "holds", tuple(not_modelled))


def delta_lines(d: ScenarioDelta) -> list[str]:
    """A scenario's change as lines: each observable before -> after, invariants won or lost."""
    label = d.scenario.label
    lines = [f"{label}: {name} {old} -> {new}" for name, (old, new) in d.observables.items()]
    lines += [f"{label}: now fires {rule}" for rule in d.findings_gained]
    return lines + [f"{label}: no longer fires {rule}" for rule in d.findings_lost]


def claim_findings(series: Series, replays: Mapping[tuple[Scenario, int], Replay]) -> list[Finding]:
    """model-claim-contradicted: a patch that promises unchanged behaviour, and scenarios
    whose replay it changes (the evidence: each change, scenario by scenario)."""
    found = []
    for patch in series.patches:
        deltas = patch_deltas(patch, replays)
        for claim, line in promises(says(patch)):
            # the same judgement as the patch's verdict, which alone knows what ran
            judged = _judged(claim, line, patch.number, deltas, (), (), ())
            if judged.model != "contradicted":
                continue
            found.append(
                Finding(
                    rule=CONTRADICTED,
                    severity="error",
                    message=f'says "{claim}", but its replay changes {len(deltas)} '
                    f"{'scenario' if len(deltas) == 1 else 'scenarios'}",
                    patch=patch.number,
                    evidence=(f"says: {line}", *judged.why[:EVIDENCE_LINES]),
                )
            )
    return found


def promises(said: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The claims among a patch's words that promise unchanged behaviour."""
    return [(claim, line) for claim, line in said if claim in UNCHANGED]


def _label(file: str, name: str) -> str:
    return f"{file}:{name}"


def verdicts(
    series: Series, stages: Sequence[Stage], graph: nx.MultiDiGraph, static: Sequence[Finding]
) -> list[Verdict]:
    """Each patch's verdict; `static` holds the static claim check's findings, beside which
    the model's judgement of the same words is shown."""
    replays = replay_stages(stages)
    return [verdict(p, replays, graph, static, known_functions(stages)) for p in series.patches]


def known_functions(stages: Sequence[Stage]) -> set[str]:
    """The kernel functions the model has: the base model's and those a stage overrides."""
    return {*registered_functions(), *(name for s in stages for name in s.overrides)}
