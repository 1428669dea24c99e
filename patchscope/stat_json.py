"""The `stat --json` document of a verified series: what `stat` prints and the report's
tables are made of. A value, not a command: renderers read it without depending on one."""

from __future__ import annotations

from patchscope.diff.model import Diffstat
from patchscope.ingest.mail import Person
from patchscope.verify import Verified

SCHEMA_VERSION = 1


def _person(p: Person) -> dict[str, str]:
    return {"name": p.name, "email": p.email}


def _stat(d: Diffstat | None) -> dict[str, object] | None:
    return None if d is None else d.to_json()


def _check(
    claimed: Diffstat | None, computed: Diffstat | None, ok: bool | None
) -> dict[str, object]:
    return {"claimed": _stat(claimed), "computed": _stat(computed), "ok": ok}


def stat_json(v: Verified) -> dict[str, object]:
    """The `stat --json` object; its shape is patchscope/schema/stat.schema.json."""
    s = v.series
    cover: dict[str, object] | None = None
    if s.cover:
        computed = v.composed.diffstat if v.composed else None
        cover = {
            "message_id": s.cover.message_id,
            "subject": s.cover.subject.raw,
            "author": _person(s.cover.author),
            "recipients": [_person(x) for x in s.cover.recipients],
            "diffstat": _check(s.cover.claimed, computed, v.cover_ok),
            "changed_again": dict(v.composed.changed_again) if v.composed else {},
            "commit_refs": [{"sha": c.sha, "title": c.title} for c in s.cover.commit_refs],
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "series": {
            "name": s.name,
            "title": s.title,
            "version": s.version,
            "rfc": s.rfc,
            "prefixes": list(s.prefixes),
            "message_id": s.message_id,
        },
        "patches": [
            {
                "number": p.number,
                "total": p.total,
                "subject": p.subject.title,
                "author": _person(p.author),
                "sender": _person(p.sender),
                "recipients": [_person(x) for x in p.recipients],
                "message_id": p.message_id,
                "date": p.date,
                "signed_off_by": [_person(x) for x in p.signed_off_by],
                "trailers": [
                    {
                        "name": t.trailer.name,
                        "value": t.trailer.value,
                        "from_message_id": t.from_message_id,
                    }
                    for t in p.trailers
                ],
                "commit_refs": [{"sha": c.sha, "title": c.title} for c in p.commit_refs],
                "files": [f.to_json() for f in p.files],
                "malformed": p.malformed,
                "diffstat": _check(p.claimed, p.computed, v.diffstat_ok(p)),
            }
            for p in s.patches
        ],
        "cover": cover,
        "replies": [
            {
                "message_id": r.message_id,
                "author": _person(r.author),
                "in_reply_to": r.in_reply_to,
                "date": r.date,
                "answers": r.answers,
                "trailers": [{"name": t.name, "value": t.value} for t in r.trailers],
                "quoted": [{"patch": q.patch, "file": q.file, "line": q.line} for q in r.quoted],
            }
            for r in s.replies
        ],
        "dependencies": [
            {
                "patch": d.patch,
                "depends_on": d.depends_on,
                "reasons": [
                    {"kind": r.kind, "file": r.file, "detail": r.detail} for r in d.reasons
                ],
            }
            for d in v.dependencies
        ],
        "findings": [f.to_json() for f in v.findings],
    }
