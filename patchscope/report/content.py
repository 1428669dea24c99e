"""Everything a report shows, gathered once, for the HTML page and the CSV tables alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from patchscope.diff.diffstat import pair_files
from patchscope.diff.rangediff import RangeDiff
from patchscope.findings import Finding
from patchscope.ingest.series import Patch, Series
from patchscope.report.kernelpart import KernelPart
from patchscope.report.modelpart import ModelPart
from patchscope.verify import Verified

EntityRow = Mapping[str, str | int]


@dataclass(frozen=True)
class FileCheck:
    """One file of a diffstat: what the claim says, what the diff (or git) counts."""

    path: str
    claimed: int | None  # None when the claim does not list the file
    computed: int | None  # None when the diff lacks the file
    verdict: str  # "ok", "mismatch", "alignment" (git may count it so), "unclaimed"


@dataclass(frozen=True)
class GivenBy:
    """A trailer a reply gave, and the patches it was attached to (all of them for the cover)."""

    name: str
    value: str
    from_message_id: str
    patches: tuple[int, ...]


@dataclass(frozen=True)
class Content:
    verified: Verified
    findings: tuple[Finding, ...]  # every finding: ingestion, static checks, tree, baseline
    entities: tuple[EntityRow, ...]  # commands.entities.entity_rows, in patch order
    model: ModelPart | None  # None when the series has no model (or none is installed)
    previous: Series | None  # the earlier version given with --previous
    rangediff: RangeDiff | None
    muted: Mapping[str, str] = field(default_factory=dict)  # fingerprint -> the waiver's reason
    kernel: KernelPart | None = None  # report --kernel-result: the flow checked against Linux

    @property
    def series(self) -> Series:
        return self.verified.series

    def patch_findings(self, number: int) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.patch == number)

    def patch_entities(self, number: int) -> tuple[EntityRow, ...]:
        return tuple(row for row in self.entities if row["patch"] == number)

    def authors(self) -> tuple[str, ...]:
        """Every author once, in the order the series shows them (cover letter first)."""
        people = [self.series.cover.author] if self.series.cover else []
        people += [p.author for p in self.series.patches]
        return tuple(dict.fromkeys(f"{p.name} <{p.email}>" for p in people))

    def reply_trailers(self) -> tuple[GivenBy, ...]:
        """Trailers given in replies rather than in the patches themselves."""
        given: dict[tuple[str, str, str], list[int]] = {}
        for p in self.series.patches:
            for t in p.trailers:
                if t.from_message_id != p.message_id:
                    key = (t.trailer.name, t.trailer.value, t.from_message_id)
                    given.setdefault(key, []).append(p.number)
        return tuple(GivenBy(*key, tuple(numbers)) for key, numbers in given.items())

    def cover_files(self) -> tuple[FileCheck, ...]:
        """The cover letter's cumulative diffstat against the composed series, file by file."""
        cover, composed = self.series.cover, self.verified.composed
        if cover is None or cover.claimed is None or composed is None:
            return ()
        judged = {f.file: f.rule for f in self.findings if f.rule.startswith("cover-diffstat")}
        verdicts = {"cover-diffstat-alignment": "alignment", "cover-diffstat-mismatch": "mismatch"}
        return tuple(
            FileCheck(pair.name, pair.says, pair.has, verdicts.get(judged.get(pair.name, ""), "ok"))
            for pair in pair_files(cover.claimed, composed.diffstat)
        )


def patch_files(patch: Patch) -> tuple[FileCheck, ...]:
    """A patch's own diffstat claim against its diff, file by file."""
    if patch.claimed is None:
        return tuple(
            FileCheck(path, None, has, "unclaimed") for path, has in patch.computed.per_file.items()
        )
    return tuple(
        FileCheck(pair.name, pair.says, pair.has, "ok" if pair.says == pair.has else "mismatch")
        for pair in pair_files(patch.claimed, patch.computed)
    )
