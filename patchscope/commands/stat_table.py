"""The terminal view of `stat`, with rich; kept apart so --json never imports rich."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from patchscope.diff.model import Diffstat
from patchscope.printable import printable
from patchscope.verify import Verified

_MARK = {True: Text("ok", style="green"), False: Text("MISMATCH", style="bold red")}


def _summary(d: Diffstat | None) -> str:
    if d is None:
        return "-"
    return f"{d.files} files +{d.insertions} -{d.deletions}"


def _mark(ok: bool | None) -> Text:
    return _MARK[ok] if ok is not None else Text("no claim", style="dim")


def print_stat(v: Verified) -> None:
    console = Console(highlight=False)
    s = v.series
    rfc = "RFC " if s.rfc else ""
    console.print(Text(printable(s.title), style="bold"))
    console.print(Text(printable(f"{rfc}v{s.version}  {s.name}  <{s.message_id}>")))

    patches = Table(title="patches")
    patches.add_column("#", no_wrap=True)
    patches.add_column("subject", ratio=3)
    patches.add_column("author", ratio=1)
    patches.add_column("computed", no_wrap=True)
    patches.add_column("claimed", no_wrap=True)
    patches.add_column("trailers", ratio=1)
    for p in s.patches:
        ok = v.diffstat_ok(p)
        given = ", ".join(sorted({t.trailer.name for t in p.trailers})) or "-"
        patches.add_row(
            f"{p.number}/{p.total}",
            Text(printable(p.subject.title)),
            Text(printable(p.author.name or p.author.email)),
            _summary(p.computed),
            _mark(ok),
            Text(printable(given)),
        )
    console.print(patches)

    if s.cover:
        composed = v.composed.diffstat if v.composed else None
        console.print(
            Text("cover letter diffstat: ")
            + Text(f"claimed {_summary(s.cover.claimed)}, composed {_summary(composed)} ")
            + _mark(v.cover_ok)
        )
    for d in v.dependencies:
        kinds = ", ".join(sorted({r.kind for r in d.reasons}))
        console.print(f"patch {d.patch} depends on patch {d.depends_on} ({kinds})")
    for r in s.replies:
        if r.trailers:
            target = "cover" if r.answers == 0 else f"patch {r.answers}"
            for t in r.trailers:
                console.print(Text(printable(f"{t.name}: {t.value}  (reply to {target})")))
    if v.findings:
        findings = Table(title="findings")
        for column in ("severity", "patch", "file", "rule", "message"):
            findings.add_column(column)
        for f in v.findings:
            findings.add_row(
                f.severity,
                "" if f.patch is None else str(f.patch),
                Text(printable(f.file or "")),
                f.rule,
                Text(printable(f.message)),
            )
        console.print(findings)
    else:
        console.print(Text("no findings", style="green"))
