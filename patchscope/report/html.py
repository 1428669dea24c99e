"""index.html: one self-contained page (inline CSS and SVG, no script, no network).

Jinja2 escapes every value the template prints (autoescape on); the only markup placed
as it is, the graph and the step charts, was built and escaped by pictures.clean_svg and
pictures.step_chart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from patchscope import __version__
from patchscope.checks.claim_mismatch import SEVERITY, claims, verdict_on
from patchscope.diff.model import Diffstat
from patchscope.diff.rangediff import marker
from patchscope.findings import SEVERITY_RANK, Finding
from patchscope.ingest.series import Patch
from patchscope.report.behaviour import Agreement
from patchscope.report.content import Content, EntityRow, FileCheck, patch_files
from patchscope.report.modelpart import StageRow
from patchscope.report.pictures import BAR_WIDTH, Bar, bar, step_chart

# Lines of behaviour the patch table's first screen has room for, shared by its patches
# (each shows at least two); the rest of a patch's behaviour is one click away.
FIRST_SCREEN_AGREEMENTS = 20


@dataclass(frozen=True)
class Judgement:
    text: str
    ok: bool | None  # None: nothing to judge
    by: str = ""  # who judged a claim in words: "static" (the text check) or "model"
    severity: str = ""  # a contradiction's: the model's an error, the static check's a warning


# Each judge's outcome on a claim: True holds, False contradicted, None undecided.
_OUTCOME_OK: dict[str, bool | None] = {
    "holds": True,
    "proved": True,
    "contradicted": False,
    "not exercised": None,
    "not proved": None,
    "no finding": None,
}


@dataclass(frozen=True)
class PatchView:
    patch: Patch
    claimed: Bar | None
    computed: Bar
    files: tuple[FileCheck, ...]
    entities: tuple[EntityRow, ...]
    stat: Judgement  # the claimed diffstat against the computed one
    verdicts: tuple[Judgement, ...]  # the patch's words, judged
    behaviour: tuple[str, ...]
    summary: tuple[Agreement, ...]  # the behaviour said once per change
    findings: tuple[tuple[str, Finding], ...]  # (anchor, finding)
    counts: Counter[str]  # severity -> findings not muted by the baseline
    picture: Markup | str  # the patch's focused graph, or why there is none


@dataclass(frozen=True)
class RuleGroup:
    """The findings of one rule, worst first; `severity` is the worst of them."""

    rule: str
    severity: str
    findings: tuple[tuple[str, Finding], ...]  # (anchor, finding)


@dataclass(frozen=True)
class StageGrid:
    """One scenario's observables, stage against stage; `changed[i]`: differs from stage i-1."""

    scenario: str
    stages: tuple[int, ...]
    rows: tuple[tuple[str, tuple[str, ...], tuple[bool, ...]], ...]  # (observable, values, changed)

    @property
    def moving(self) -> tuple[tuple[str, tuple[str, ...], tuple[bool, ...]], ...]:
        """The rows some stage changes: what the table shows before it is opened."""
        return tuple(row for row in self.rows if any(row[2]))


def stage_grids(rows: tuple[StageRow, ...]) -> list[StageGrid]:
    """stages.csv's long rows as one table per scenario, in the order they come."""
    values: dict[str, dict[str, dict[int, str]]] = {}
    for r in rows:
        values.setdefault(r.flow, {}).setdefault(r.observable, {})[r.stage] = r.value
    grids = []
    for scenario, observables in values.items():
        stages = tuple(sorted({s for by_stage in observables.values() for s in by_stage}))
        table = []
        for name, by_stage in sorted(observables.items()):
            cells = tuple(by_stage.get(s, "") for s in stages)
            changed = tuple(i > 0 and cells[i] != cells[i - 1] for i in range(len(cells)))
            table.append((name, cells, changed))
        grids.append(StageGrid(scenario, stages, tuple(table)))
    return grids


@cache
def environment() -> Environment:
    """The Jinja2 set-up of every page patchscope writes: each value escaped, an unknown name
    an error rather than an empty string. One per process, so each template compiles once."""
    return Environment(
        loader=PackageLoader("patchscope.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(
    content: Content,
    graph_svg: Markup | None,
    areas: dict[str, str],
    no_picture: str | None = None,
    pictures: Mapping[int, Markup | str] | None = None,
) -> str:
    """The page; `areas` maps each area the graph holds to its fill colour, for the legend;
    `pictures` each patch's focused graph (or why it has none). Without `graph_svg`,
    `no_picture` says why Graphviz could not draw the graph."""
    anchors = finding_anchors(content.findings)
    muted = content.muted
    template = environment().get_template("index.html.j2")
    return template.render(
        c=content,
        series=content.series,
        patches=_patch_views(content, anchors, pictures or {}),
        rules=rule_groups(list(zip(anchors, content.findings, strict=True))),
        severities=_counts(content.findings, muted),
        muted=muted,
        graph_svg=graph_svg,
        no_picture=no_picture,
        areas=sorted(areas.items()),
        bar_width=BAR_WIDTH,
        cover_claimed=content.series.cover.claimed if content.series.cover else None,
        cover_computed=content.verified.composed.diffstat if content.verified.composed else None,
        marker=marker,
        version=__version__,
        grids=stage_grids(content.model.stages) if content.model else [],
        charts=[step_chart(chart) for chart in content.model.charts] if content.model else [],
        first_agreements=max(2, FIRST_SCREEN_AGREEMENTS // max(1, len(content.series.patches))),
    )


def _counts(findings: tuple[Finding, ...], muted: Mapping[str, str]) -> Counter[str]:
    return Counter(f.severity for f in findings if f.fingerprint not in muted)


def rule_groups(anchored: list[tuple[str, Finding]]) -> list[RuleGroup]:
    """The findings by rule: the worst rule first, then the rule with more findings."""
    by_rule: dict[str, list[tuple[str, Finding]]] = {}
    for anchor, f in anchored:
        by_rule.setdefault(f.rule, []).append((anchor, f))
    groups = [
        RuleGroup(
            rule, min((f.severity for _, f in found), key=SEVERITY_RANK.__getitem__), tuple(found)
        )
        for rule, found in by_rule.items()
    ]
    return sorted(groups, key=lambda g: (SEVERITY_RANK[g.severity], -len(g.findings), g.rule))


def finding_anchors(findings: tuple[Finding, ...]) -> list[str]:
    """`finding-<fingerprint>`, stable across runs; a repeated fingerprint gets `-2`, `-3`."""
    seen: Counter[str] = Counter()
    anchors = []
    for f in findings:
        seen[f.fingerprint] += 1
        suffix = "" if seen[f.fingerprint] == 1 else f"-{seen[f.fingerprint]}"
        anchors.append(f"finding-{f.fingerprint}{suffix}")
    return anchors


def _largest(patches: tuple[Patch, ...]) -> int:
    stats: list[Diffstat] = [p.computed for p in patches]
    stats += [p.claimed for p in patches if p.claimed is not None]
    return max((s.insertions + s.deletions for s in stats), default=1)


def _patch_views(
    content: Content, anchors: list[str], pictures: Mapping[int, Markup | str]
) -> list[PatchView]:
    largest = _largest(content.series.patches)
    anchored = list(zip(anchors, content.findings, strict=True))
    views = []
    for p in content.series.patches:
        model = content.model
        own = content.patch_findings(p.number)
        views.append(
            PatchView(
                patch=p,
                claimed=bar(p.claimed.insertions, p.claimed.deletions, largest)
                if p.claimed
                else None,
                computed=bar(p.computed.insertions, p.computed.deletions, largest),
                files=patch_files(p),
                entities=content.patch_entities(p.number),
                stat=_stat(content, p),
                verdicts=_verdicts(content, p),
                behaviour=model.behaviour.get(p.number, ()) if model else (),
                summary=model.summary.get(p.number, ()) if model else (),
                findings=tuple((a, f) for a, f in anchored if f.patch == p.number),
                counts=_counts(own, content.muted),
                picture=pictures.get(p.number, "Not drawn."),
            )
        )
    return views


def _stat(content: Content, p: Patch) -> Judgement:
    if p.claimed is None:
        return Judgement("no diffstat given", None)
    differs = any(f.rule == "diffstat-mismatch" for f in content.patch_findings(p.number))
    return Judgement("diffstat differs" if differs else "diffstat holds", not differs)


def _verdicts(content: Content, p: Patch) -> tuple[Judgement, ...]:
    """Each promise of the patch about itself, judged by the model and by the static claim
    check side by side (the static check alone without a model); contradictions first, the
    model's (an error: it replayed the code; the text check only read it) before the static
    one (a warning)."""
    verdict = content.model.verdicts.get(p.number) if content.model else None
    words: list[Judgement] = []
    if verdict is None:
        for claim, _ in claims(p):
            outcome = verdict_on(claim, p.number, content.findings)
            weight = SEVERITY if outcome == "contradicted" else ""
            words.append(Judgement(f'"{claim}" {outcome}', _OUTCOME_OK[outcome], "static", weight))
    for c in verdict.claims if verdict else ():
        weights = dict(c.contradictions)
        for by, outcome in (("model", c.model), ("static", c.static)):
            text = f'"{c.claim}" {outcome}'
            words.append(Judgement(text, _OUTCOME_OK[outcome], by, weights.get(by, "")))
    return tuple(sorted(words, key=lambda j: (j.ok is not False, j.by != "model")))
