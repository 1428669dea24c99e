"""Pair the patches of two versions of a series and show how each one moved.

git range-diff does this between two commit ranges; here only the mails are at hand, so
the pairing, the ordering and the "diff of the diffs" are done on parsed patches. No
library offers range-diff on parsed diffs, hence the hand-written pairing and ordering
below; the text diffs themselves come from difflib and the patch-ids from git.
"""

from __future__ import annotations

import difflib
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from patchscope.diff.model import FileDiff, Hunk
from patchscope.errors import PatchscopeError
from patchscope.ingest.series import Patch

Status = Literal["unchanged", "changed", "new", "dropped"]
PairedBy = Literal["title", "patch-id", "similarity"]

# git range-diff's default --creation-factor: pairing two patches must cost less than
# this share of leaving both unpaired.
CREATION_FACTOR = 0.6


class PatchIdError(PatchscopeError):
    """git patch-id could not be run on the rebuilt diffs."""


@dataclass(frozen=True)
class PatchRef:
    number: int
    title: str
    patch_id: str | None  # git's stable patch-id, None for a patch without a diff

    def to_json(self) -> dict[str, object]:
        return {"number": self.number, "title": self.title, "patch_id": self.patch_id}


@dataclass(frozen=True)
class RangeEntry:
    status: Status
    old: PatchRef | None
    new: PatchRef | None
    paired_by: PairedBy | None
    message_changed: bool  # title or commit message differ (False when unpaired)
    interdiff: str | None  # diff of the two diffs, range-diff style; None when unpaired

    @property
    def title(self) -> str:
        """The title git range-diff shows: the old one, unless the patch is new."""
        ref = self.old or self.new
        assert ref is not None
        return ref.title

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "old": self.old.to_json() if self.old else None,
            "new": self.new.to_json() if self.new else None,
            "title": self.title,
            "paired_by": self.paired_by,
            "message_changed": self.message_changed,
            "interdiff": self.interdiff,
        }


@dataclass(frozen=True)
class RangeDiff:
    entries: tuple[RangeEntry, ...]


def range_diff(old: Sequence[Patch], new: Sequence[Patch]) -> RangeDiff:
    """Pair OLD and NEW patches and list them in the order git range-diff shows them."""
    ids = patch_ids([*old, *new])
    old_ids, new_ids = ids[: len(old)], ids[len(old) :]
    pairs = _pair(old, new, old_ids, new_ids)
    entries = [
        _entry(old, new, old_ids, new_ids, i, j, pairs)
        for i, j in _display_order(len(old), len(new), pairs)
    ]
    return RangeDiff(tuple(entries))


# --- pairing -------------------------------------------------------------------------------


def normalise_title(title: str) -> str:
    """Titles match across versions despite case and spacing edits."""
    return " ".join(title.split()).casefold()


def _pair(
    old: Sequence[Patch],
    new: Sequence[Patch],
    old_ids: Sequence[str | None],
    new_ids: Sequence[str | None],
) -> dict[int, tuple[int, PairedBy]]:
    """new index -> (old index, how): by title, then patch-id, then diff similarity."""
    pairs: dict[int, tuple[int, PairedBy]] = {}
    _pair_by_key(
        pairs,
        [normalise_title(p.subject.title) for p in old],
        [normalise_title(p.subject.title) for p in new],
        "title",
    )
    _pair_by_key(pairs, old_ids, new_ids, "patch-id")
    _pair_by_similarity(
        pairs, [_review_text(p.files) for p in old], [_review_text(p.files) for p in new]
    )
    return pairs


def _pair_by_key(
    pairs: dict[int, tuple[int, PairedBy]],
    old_keys: Sequence[str | None],
    new_keys: Sequence[str | None],
    how: PairedBy,
) -> None:
    """Pair still-free patches with equal keys, first come first served."""
    taken = {i for i, _ in pairs.values()}
    for j, key in enumerate(new_keys):
        if j in pairs or key is None:
            continue
        for i, candidate in enumerate(old_keys):
            if i not in taken and candidate == key:
                pairs[j] = (i, how)
                taken.add(i)
                break


def _pair_by_similarity(
    pairs: dict[int, tuple[int, PairedBy]],
    old_texts: Sequence[list[str]],
    new_texts: Sequence[list[str]],
) -> None:
    """Pair renamed patches whose diffs are close, greedily, by git's creation-factor rule.

    git solves a full assignment problem; the greedy cheapest-first choice gives the same
    answer whenever the candidates are clearly apart, which is the case worth reporting.
    """
    taken = {i for i, _ in pairs.values()}
    free_old = [i for i in range(len(old_texts)) if i not in taken]
    free_new = [j for j in range(len(new_texts)) if j not in pairs]
    candidates = []
    for i in free_old:
        for j in free_new:
            cost = sum(1 for line in _text_diff(old_texts[i], new_texts[j]) if line[:1] in "+-")
            budget = CREATION_FACTOR * (len(old_texts[i]) + len(new_texts[j]))
            if cost < budget:
                candidates.append((cost, i, j))
    used_old: set[int] = set()
    for _, i, j in sorted(candidates):
        if i not in used_old and j not in pairs:
            pairs[j] = (i, "similarity")
            used_old.add(i)


def _display_order(
    n_old: int, n_new: int, pairs: dict[int, tuple[int, PairedBy]]
) -> list[tuple[int | None, int | None]]:
    """git range-diff's order: NEW order, an unpaired OLD patch as soon as all before it showed.

    Walk NEW; before each NEW patch, emit the OLD patches that are unpaired and whose
    predecessors in OLD were already shown, so a dropped patch sits after its old neighbour.
    """
    paired_old = {i for i, _ in pairs.values()}
    shown: set[int] = set()
    order: list[tuple[int | None, int | None]] = []
    i = 0
    for j in range(n_new):
        while i < n_old and (i in shown or i not in paired_old):
            if i not in shown:
                order.append((i, None))
            i += 1
        if j in pairs:
            order.append((pairs[j][0], j))
            shown.add(pairs[j][0])
        else:
            order.append((None, j))
    order += [(k, None) for k in range(i, n_old) if k not in paired_old]
    return order


def _entry(
    old: Sequence[Patch],
    new: Sequence[Patch],
    old_ids: Sequence[str | None],
    new_ids: Sequence[str | None],
    i: int | None,
    j: int | None,
    pairs: dict[int, tuple[int, PairedBy]],
) -> RangeEntry:
    old_ref = _ref(old[i], old_ids[i]) if i is not None else None
    new_ref = _ref(new[j], new_ids[j]) if j is not None else None
    if i is None or j is None:
        return RangeEntry("dropped" if j is None else "new", old_ref, new_ref, None, False, None)
    a, b = old[i], new[j]
    same = old_ids[i] is not None and old_ids[i] == new_ids[j]
    return RangeEntry(
        status="unchanged" if same else "changed",
        old=old_ref,
        new=new_ref,
        paired_by=pairs[j][1],
        message_changed=a.subject.title != b.subject.title or a.message != b.message,
        interdiff=interdiff(a.files, b.files),
    )


def _ref(patch: Patch, patch_id: str | None) -> PatchRef:
    return PatchRef(patch.number, patch.subject.title, patch_id)


# --- the diff of two diffs -----------------------------------------------------------------


def interdiff(old: Sequence[FileDiff], new: Sequence[FileDiff]) -> str:
    """The two patches' diffs diffed as text, each line under its outer +/-, as git range-diff.

    Hunk line numbers are left out of the compared text (git range-diff does the same), so a
    patch that only moved to another offset compares equal.
    """
    return "\n".join(_text_diff(_review_text(old), _review_text(new)))


def _text_diff(old: list[str], new: list[str]) -> list[str]:
    """difflib's unified diff without its two leading file-name lines, which say nothing here.

    They are cut by position: a diff line of a diff may itself start with '--- ' or '+++ '.
    """
    return list(difflib.unified_diff(old, new, lineterm="", n=3))[2:]


def _review_text(files: Iterable[FileDiff]) -> list[str]:
    """A patch's diff as range-diff compares it: '## path ##' heads, '@@ path: section'."""
    out: list[str] = []
    for f in files:
        out.append(f"## {_file_label(f)} ##")
        if f.binary:
            out.append(f"Binary files differ ({f.old_blob}..{f.new_blob})")
        for hunk in f.hunks:
            out.append(f"@@ {f.path}: {hunk.section}".rstrip())
            out.extend(line.kind + line.text for line in hunk.lines)
    return out


def _file_label(f: FileDiff) -> str:
    path = f.path if f.old_path == f.path else f"{f.old_path} => {f.path}"
    if f.status == "added":
        return f"{path} (new)"
    if f.status == "deleted":
        return f"{path} (deleted)"
    if f.old_mode and f.new_mode and f.old_mode != f.new_mode:
        return f"{path} (mode change {f.old_mode} => {f.new_mode})"
    return path


# --- patch-ids -----------------------------------------------------------------------------


def patch_ids(patches: Sequence[Patch]) -> list[str | None]:
    """git's stable patch-id of each patch, from its diff rebuilt as git writes it.

    One `git patch-id --stable` run reads all of them, each behind a made-up 'commit' line
    that names its index; a patch with an empty diff gets no id (git prints none).
    """
    stream = "".join(
        f"commit {index:040x}\n\n" + diff_text(p.files) for index, p in enumerate(patches)
    )
    try:
        run = subprocess.run(
            ["git", "patch-id", "--stable"],
            input=stream.encode(),
            capture_output=True,
            check=True,
        )
    except OSError as exc:
        why = exc.strerror or "it could not be started"
        raise PatchIdError(f"cannot run git patch-id on the rebuilt diffs: {why}") from None
    except subprocess.CalledProcessError as exc:
        said = exc.stderr.decode(errors="replace").strip().splitlines()
        why = said[0] if said else f"exit code {exc.returncode}"
        raise PatchIdError(f"git patch-id failed on the rebuilt diffs: {why}") from None
    found: dict[int, str] = {}
    for line in run.stdout.decode().splitlines():
        patch_id, index = line.split()
        found[int(index, 16)] = patch_id
    return [found.get(index) for index in range(len(patches))]


def diff_text(files: Iterable[FileDiff]) -> str:
    """The diff in git's own format (what format-patch writes after the '---' notes)."""
    return "".join(_file_text(f) for f in files)


def _file_text(f: FileDiff) -> str:
    head = [f"diff --git a/{f.old_path} b/{f.path}", *_extended_header(f)]
    if f.binary:
        head.append(f"Binary files a/{f.old_path} and b/{f.path} differ")
    elif f.hunks:
        old_name = "/dev/null" if f.status == "added" else f"a/{f.old_path}"
        new_name = "/dev/null" if f.status == "deleted" else f"b/{f.path}"
        head += [f"--- {old_name}", f"+++ {new_name}"]
        head += [line for hunk in f.hunks for line in _hunk_text(hunk)]
    return "\n".join(head) + "\n"


def _extended_header(f: FileDiff) -> list[str]:
    """Mode, rename and index lines; the index line is what patch-id keys binary files on."""
    lines = []
    if f.status == "added":
        lines.append(f"new file mode {f.new_mode or '100644'}")
    elif f.status == "deleted":
        lines.append(f"deleted file mode {f.old_mode or '100644'}")
    elif f.old_mode and f.new_mode and f.old_mode != f.new_mode:
        lines += [f"old mode {f.old_mode}", f"new mode {f.new_mode}"]
    if f.status in ("renamed", "copied"):
        verb = "rename" if f.status == "renamed" else "copy"
        if f.similarity is not None:
            lines.append(f"similarity index {f.similarity}%")
        lines += [f"{verb} from {f.old_path}", f"{verb} to {f.path}"]
    if f.old_blob and f.new_blob:
        lines.append(f"index {f.old_blob}..{f.new_blob}")
    return lines


def _hunk_text(hunk: Hunk) -> list[str]:
    """The hunk with counts taken from its lines, so patch-id never loses its place."""
    before = sum(1 for line in hunk.lines if line.kind != "+")
    after = sum(1 for line in hunk.lines if line.kind != "-")
    header = f"@@ -{hunk.old_start},{before} +{hunk.new_start},{after} @@ {hunk.section}"
    return [header.rstrip(), *(line.kind + line.text for line in hunk.lines)]


_MARKERS = {"unchanged": "=", "changed": "!", "dropped": "<", "new": ">"}


def marker(entry: RangeEntry) -> str:
    """git range-diff's column sign; a reworded but otherwise equal patch shows '!' as in git."""
    if entry.status == "unchanged" and entry.message_changed:
        return "!"
    return _MARKERS[entry.status]
