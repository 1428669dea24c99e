"""A base tree in a git repo and a two-patch series written against it (see
tests/fixtures/tree/README.md), plus the code facts a reader takes off the patches."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from patchscope.code.model import (
    Change,
    ChangeKind,
    EntityKind,
    Image,
    PatchFacts,
    SeriesFacts,
)
from tests.conftest import git

BASE = Path(__file__).resolve().parents[1] / "fixtures" / "tree" / "base"
OFFSET = 3  # lines the tree gains above the series' hunks in mm/memory_hotplug.c
OLD_SIGNATURE = (
    "int arch_add_memory(int nid, u64 start, u64 size, struct vmem_altmap *altmap, "
    "bool want_memblock)"
)
NEW_SIGNATURE = (
    "int arch_add_memory(int nid, u64 start, u64 size, struct mhp_restrictions *restrictions)"
)
UNKNOWN_SHA = "0123456789ab"
RECIPIENTS = [
    "--to=linux-mm@kvack.org",
    "--cc=David Hildenbrand <david@redhat.com>",
    "--cc=linux-kernel@vger.kernel.org",
    "--cc=Linus Torvalds <torvalds@linux-foundation.org>",
]


@dataclass(frozen=True)
class TreeSeries:
    repo: Path  # main checked out: the base the series is reviewed against
    mbox: Path
    patch_files: tuple[Path, ...]  # format-patch output, cover letter left out
    core_sha: str  # quoted with its right title
    arm64_sha: str  # quoted with a wrong title


Edit = tuple[str, str, str]  # file, old text, new text


def _commit(repo: Path, subject: str, edits: list[Edit]) -> str:
    """Replace text in files (each edit must hit) and commit; returns the commit id."""
    for name, old, new in edits:
        path = repo / name
        text = path.read_text()
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1))
    git(repo, "commit", "-q", "-a", "-m", subject)
    return git(repo, "rev-parse", "HEAD").strip()


def _add(repo: Path, subject: str, names: list[str]) -> str:
    for name in names:
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BASE / name, target)
    git(repo, "add", *names)
    git(repo, "commit", "-q", "-m", subject)
    return git(repo, "rev-parse", "HEAD").strip()


def make_tree_series(where: Path) -> TreeSeries:
    repo = where / "kernel"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    core = _add(
        repo,
        "mm: add the memory hotplug core",
        ["mm/memory_hotplug.c", "include/linux/memory_hotplug.h"],
    )
    arm64 = _add(repo, "arm64: add memory hot-add", ["arch/arm64/mm/mmu.c"])
    _add(
        repo,
        "x86, drivers: add memory hot-add and probe",
        ["arch/x86/mm/init_64.c", "drivers/base/memory.c", "MAINTAINERS"],
    )
    git(repo, "checkout", "-q", "-b", "series")
    _commit(repo, _patch1_message(core, arm64), _PATCH1)
    _commit(repo, _PATCH2_MESSAGE, _PATCH2)
    out = where / "outgoing"
    git(repo, "format-patch", "-q", "--cover-letter", *RECIPIENTS, "-o", str(out), "main..series")
    cover = next(out.glob("0000-*"))
    text = cover.read_text().replace("*** SUBJECT HERE ***", "restrictions for arch_add_memory")
    cover.write_text(text.replace("*** BLURB HERE ***", "Pass restrictions down."))
    patch_files = tuple(sorted(p for p in out.glob("*.patch") if p != cover))
    mbox = where / "series.mbox"
    mbox.write_text("".join(p.read_text() for p in sorted(out.glob("*.patch"))))
    git(repo, "checkout", "-q", "main")
    _commit(repo, "mm: name the section helper sparse_add_section", _MOVE_ON)
    return TreeSeries(repo, mbox, patch_files, core, arm64)


def _patch1_message(core: str, arm64: str) -> str:
    return (
        "mm, memory_hotplug: pass restrictions to arch_add_memory\n\n"
        f'Commit {core[:12]} ("mm: add the memory hotplug core") gave every\n'
        f'architecture an altmap argument; {arm64[:12]} ("arm64: support memory\n'
        'hot-remove") followed it.  Fold it into a struct, as\n'
        f'{UNKNOWN_SHA} ("mm: a commit nobody made") wanted.\n\n'
        "Signed-off-by: Ada Hacker <ada@example.org>"
    )


_PATCH1: list[Edit] = [
    (
        "include/linux/memory_hotplug.h",
        "extern int arch_add_memory(int nid, u64 start, u64 size,\n"
        "\t\t\t   struct vmem_altmap *altmap, bool want_memblock);\n",
        "struct mhp_restrictions {\n\tunsigned long flags;\n\tstruct vmem_altmap *altmap;\n};\n\n"
        "extern int arch_add_memory(int nid, u64 start, u64 size,\n"
        "\t\t\t   struct mhp_restrictions *restrictions);\n",
    ),
    (
        "arch/x86/mm/init_64.c",
        "\t\t    struct vmem_altmap *altmap, bool want_memblock)\n{\n\tunsigned long start_pfn",
        "\t\t    struct mhp_restrictions *restrictions)\n{\n\tunsigned long start_pfn",
    ),
    (
        "arch/x86/mm/init_64.c",
        "nr_pages, altmap);\n}",
        "nr_pages, restrictions->altmap);\n}",
    ),
    (
        "mm/memory_hotplug.c",
        "\tint ret;\n\n\tmem_hotplug_begin();\n"
        "\tret = arch_add_memory(nid, start, size, NULL, true);\n",
        "\tstruct mhp_restrictions restrictions = {};\n\tint ret;\n\n\tmem_hotplug_begin();\n"
        "\tret = arch_add_memory(nid, start, size, &restrictions);\n",
    ),
]

_PATCH2_MESSAGE = (
    "mm, memory_hotplug: warn when a section cannot be added\n\n"
    "Signed-off-by: Ada Hacker <ada@example.org>"
)
# Two hunks far apart in one file.
_PATCH2: list[Edit] = [
    (
        "mm/memory_hotplug.c",
        "\tret = sparse_add_one_section(nid, phys_start_pfn, altmap);\n",
        "\tret = sparse_add_one_section(nid, phys_start_pfn, altmap);\n"
        '\tif (ret)\n\t\tpr_warn("section %lx: %d\\n", phys_start_pfn, ret);\n',
    ),
    (
        "mm/memory_hotplug.c",
        "\tmem_hotplug_done();\n\treturn ret;\n",
        '\tmem_hotplug_done();\n\tif (ret)\n\t\tpr_warn("hot-add failed: %d\\n", ret);\n'
        "\treturn ret;\n",
    ),
]

# The base moves on after the series was written: three lines above every hunk of
# mm/memory_hotplug.c, and the line the first hunk of patch 2 leans on is renamed.
_MOVE_ON: list[Edit] = [
    (
        "mm/memory_hotplug.c",
        "#include <linux/mm.h>\n\nstatic int __add_section",
        "#include <linux/mm.h>\n\n/* Sections are added one by one. */\n"
        "#define HOTPLUG_DEBUG 0\n\nstatic int __add_section",
    ),
    ("mm/memory_hotplug.c", "sparse_add_one_section(", "sparse_add_section("),
]


def _empty() -> Image:
    return Image((), (), ())


def _change(
    patch: int, kind: EntityKind, name: str, file: str, change: ChangeKind, **rest: str
) -> Change:
    return Change(
        patch=patch,
        kind=kind,
        name=name,
        file=file,
        line=1,
        change=change,
        detail="",
        old_name=None,
        old_signature=rest.get("old"),
        new_signature=rest.get("new"),
    )


# Read off the two patches: 1/2 changes arch_add_memory's prototype (header and x86,
# arm64 forgotten) and add_memory_resource's body; 2/2 the bodies of __add_section and
# add_memory_resource.
FACTS = SeriesFacts(
    (
        PatchFacts(
            1,
            _empty(),
            _empty(),
            (
                _change(
                    1,
                    "prototype",
                    "arch_add_memory",
                    "include/linux/memory_hotplug.h",
                    "prototype",
                    old=f"extern {OLD_SIGNATURE}",
                    new=f"extern {NEW_SIGNATURE}",
                ),
                _change(
                    1,
                    "function",
                    "arch_add_memory",
                    "arch/x86/mm/init_64.c",
                    "prototype",
                    old=OLD_SIGNATURE,
                    new=NEW_SIGNATURE,
                ),
                _change(1, "function", "add_memory_resource", "mm/memory_hotplug.c", "body"),
            ),
        ),
        PatchFacts(
            2,
            _empty(),
            _empty(),
            (
                _change(2, "function", "__add_section", "mm/memory_hotplug.c", "body"),
                _change(2, "function", "add_memory_resource", "mm/memory_hotplug.c", "body"),
            ),
        ),
    )
)
