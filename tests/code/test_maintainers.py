"""MAINTAINERS sections of touched files, and the maintainers and lists a series left out."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from patchscope.code.maintainers import (
    Section,
    SectionsByTop,
    maintainers_facts,
    parse_maintainers,
)
from patchscope.code.tree import open_tree
from patchscope.findings import Finding
from patchscope.ingest.mail import Person
from patchscope.ingest.series import Series
from patchscope.pipeline import load_series
from tests.code.treeseries import BASE, TreeSeries, make_tree_series

SAMPLE = (BASE / "MAINTAINERS").read_text()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> TreeSeries:
    return make_tree_series(tmp_path_factory.mktemp("maintainers"))


@pytest.fixture(scope="module")
def series(made: TreeSeries) -> Series:
    return load_series(str(made.mbox))


def _left_out(finding: Finding) -> set[str]:
    """The addresses a finding names, read off its evidence (the MAINTAINERS entries)."""
    return {a.lower() for line in finding.evidence for a in re.findall(r"[\w.+-]+@[\w.-]+", line)}


def _section(*entries: str) -> Section:
    text = "A SECTION\n" + "\n".join(entries) + "\n"
    (section,) = parse_maintainers(text)
    return section


def test_sections_are_read_and_the_prose_above_is_not() -> None:
    sections = parse_maintainers(SAMPLE)
    titles = [s.title for s in sections]
    assert titles == [
        "ARM64 PORT (AARCH64 ARCHITECTURE)",
        "DRIVER CORE",
        "MEMORY HOT(UN)PLUG",
        "MEMORY MANAGEMENT",
        "X86 MM",
        "THE REST",
    ]
    arm64 = sections[0]
    assert arm64.values("M") == ("Catalin Marinas <catalin.marinas@arm.com>",)
    assert arm64.values("L") == (
        "linux-arm-kernel@lists.infradead.org (moderated for non-subscribers)",
    )
    assert arm64.values("F") == ("arch/arm64/",)


# The examples of the header of the kernel's MAINTAINERS, one by one.
RULES = [
    (["F:\tdrivers/net/"], "drivers/net/a.c", True),
    (["F:\tdrivers/net/"], "drivers/net/phy/b.c", True),
    (["F:\tdrivers/net/"], "drivers/netdevsim/c.c", False),
    (["F:\tdrivers/net/*"], "drivers/net/a.c", True),
    (["F:\tdrivers/net/*"], "drivers/net/phy/b.c", False),
    (["F:\t*/net/*"], "drivers/net/a.c", True),
    (["F:\t*/net/*"], "net/a.c", False),
    (["F:\tnet/", "X:\tnet/ipv6/"], "net/ipv4/route.c", True),
    (["F:\tnet/", "X:\tnet/ipv6/"], "net/ipv6/route.c", False),
    (["N:\t[^a-z]tegra"], "drivers/gpu/tegra/dc.c", True),
    (["N:\t[^a-z]tegra"], "drivers/misc/integrator.c", False),
    (["N:\tsun50i"], "arch/arm64/boot/dts/allwinner/sun50i-a64.dtsi", True),
    (["N:\tsun50i"], "arch/arm64/boot/dts/allwinner/sun5i-a13.dtsi", False),
    (["F:\tdrivers/base"], "drivers/base/memory.c", True),  # a bare directory
    (["F:\tdrivers/base"], "drivers/base/power/main.c", True),
    (["F:\tdrivers/base"], "drivers/based.c", False),
    (["F:\tmm/sparse?.c"], "mm/sparse1.c", True),
    (["F:\tmm/sparse?.c"], "mm/sparse.c", False),
    (["F:\tmm/sparse.c"], "mm/sparse.c", True),
    (["F:\tmm/sparse.c"], "mm/sparse-vmemmap.c", False),
    (["F:\t*", "F:\t*/"], "anything/at/all.c", True),
    (["F:\t*", "F:\t*/"], "Makefile", True),
]


def test_an_entry_is_a_capital_a_colon_and_its_value_trimmed() -> None:
    text = "ODD\nM:\t Ann <a@x.org> \r\nlow: not an entry\n\u00c4: nor this\nF:\tmm/\n"
    (section,) = parse_maintainers(text)
    assert section.title == "ODD"
    assert [(e.letter, e.value) for e in section.entries] == [("M", "Ann <a@x.org>"), ("F", "mm/")]
    (untitled,) = parse_maintainers("F: mm/\nX: mm/x.c\n")
    assert untitled.title == ""
    assert untitled.values("X") == ("mm/x.c",)


@pytest.mark.parametrize(("entries", "path", "covered"), RULES)
def test_file_patterns_follow_the_documented_rules(
    entries: list[str], path: str, covered: bool
) -> None:
    assert _section(*entries).covers(path) is covered


def test_sections_looked_up_by_a_path_are_every_covering_one() -> None:
    """Sections looked up by a path's leading parts cover it exactly as trying each one."""
    sections = tuple(_section(*entries) for entries, _, _ in RULES)
    sections += (*parse_maintainers(SAMPLE), _section("F:\tdr?vers/net/"), _section("F:\t"))
    sections += (_section("F:\tmm/a/", "X:\tmm/a/b.c"), _section("F:\tmm//c/"))
    tops = SectionsByTop(sections)
    paths = {path for _, path, _ in RULES} | {"drivers", "dravers/net/x.c", "/abs.c"}
    paths |= {"mm/a/", "mm/a/b.c", "mm/a/b.cc", "mm/ab.c", "mm//c/d.c", "mm/c/d.c", "mm/a"}
    for path in sorted(paths):
        expected = [s for s in sections if s.covers(path)]
        assert [s for s in tops.near(path) if s.covers(path)] == expected, path
    assert _section("F:\tdr?vers/net/") in tops.near("dravers/net/x.c")


def test_touched_files_get_their_sections(made: TreeSeries, series: Series) -> None:
    files, _ = maintainers_facts(series, open_tree(f"git:{made.repo}@main"))
    assert {f.file: [s.title for s in f.sections] for f in files} == {
        "arch/x86/mm/init_64.c": ["X86 MM", "THE REST"],
        "include/linux/memory_hotplug.h": ["MEMORY HOT(UN)PLUG", "THE REST"],
        # MEMORY MANAGEMENT takes mm/ but leaves this file out with X:
        "mm/memory_hotplug.c": ["MEMORY HOT(UN)PLUG", "THE REST"],
    }


def test_who_was_not_cced_is_reported(made: TreeSeries, series: Series) -> None:
    """One finding for the section left out, naming its maintainer and its list."""
    _, findings = maintainers_facts(series, open_tree(f"git:{made.repo}@main"))
    assert [(f.file, f.entity) for f in findings] == [("arch/x86/mm/init_64.c", "X86 MM")]
    (x86,) = findings
    assert (x86.rule, x86.severity, x86.patch) == ("maintainers-not-cc", "warning", 1)
    assert _left_out(x86) == {"dave.hansen@linux.intel.com", "x86@kernel.org"}
    assert "maintainer dave.hansen@linux.intel.com" in x86.message
    assert "list x86@kernel.org" in x86.message
    # linux-mm and David Hildenbrand were Cc'd: nothing about them
    assert not _left_out(x86) & {"linux-mm@kvack.org", "david@redhat.com"}


def test_adding_them_in_any_case_silences_the_check(made: TreeSeries, series: Series) -> None:
    extra = (Person("Dave Hansen", "Dave.Hansen@linux.intel.com"), Person("", "X86@Kernel.org"))
    first = dataclasses.replace(series.patches[0], recipients=series.patches[0].recipients + extra)
    widened = dataclasses.replace(series, patches=(first, *series.patches[1:]))
    _, findings = maintainers_facts(widened, open_tree(f"git:{made.repo}@main"))
    assert findings == ()


def _drop(series: Series, *emails: str) -> Series:
    """The series as if these addresses had been left off every mail."""

    def without(people: tuple[Person, ...]) -> tuple[Person, ...]:
        return tuple(p for p in people if p.email not in emails)

    assert series.cover is not None
    return dataclasses.replace(
        series,
        cover=dataclasses.replace(series.cover, recipients=without(series.cover.recipients)),
        patches=tuple(
            dataclasses.replace(p, recipients=without(p.recipients)) for p in series.patches
        ),
    )


def test_dropping_a_cc_is_reported(made: TreeSeries, series: Series) -> None:
    """Perturbed: without linux-mm anywhere, its section is named once for the files it
    covers, both first touched by the same patch."""
    narrowed = _drop(series, "linux-mm@kvack.org")
    _, findings = maintainers_facts(narrowed, open_tree(f"git:{made.repo}@main"))
    (mm,) = [f for f in findings if "linux-mm@kvack.org" in _left_out(f)]
    assert mm.entity == "MEMORY HOT(UN)PLUG"
    assert set(mm.evidence) >= {"include/linux/memory_hotplug.h", "mm/memory_hotplug.c"}
    assert "and 1 more file;" in mm.message
    assert len(findings) == len({(f.patch, f.entity) for f in findings})


def test_the_catch_all_wants_its_list_not_its_maintainer(made: TreeSeries, series: Series) -> None:
    """As get_maintainer.pl: THE REST's list is owed a copy, Linus is not."""
    narrowed = _drop(series, "linux-kernel@vger.kernel.org", "torvalds@linux-foundation.org")
    _, findings = maintainers_facts(narrowed, open_tree(f"git:{made.repo}@main"))
    named = set().union(*map(_left_out, findings))
    assert "linux-kernel@vger.kernel.org" in named
    assert "torvalds@linux-foundation.org" not in named


def test_no_maintainers_file_no_sections(series: Series, tmp_path: Path) -> None:
    assert maintainers_facts(series, open_tree(str(tmp_path))) == ((), ())


def test_a_maintainer_who_sent_the_series_needs_no_cc(made: TreeSeries, series: Series) -> None:
    dave = Person("Dave Hansen", "dave.hansen@linux.intel.com")
    sent = dataclasses.replace(
        series, patches=tuple(dataclasses.replace(p, sender=dave) for p in series.patches)
    )
    _, findings = maintainers_facts(sent, open_tree(f"git:{made.repo}@main"))
    assert [_left_out(f) for f in findings] == [{"x86@kernel.org"}]
