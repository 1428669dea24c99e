"""Subject parsing: bracket prefixes in any order and case, version, N/M, reply markers."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patchscope.ingest.subject import Subject, parse_subject


@pytest.mark.parametrize(
    ("raw", "title", "prefixes", "version", "number", "total"),
    [
        (
            "[RFC PATCH v2 3/4] mm, memory_hotplug: allocate memmap",
            "mm, memory_hotplug: allocate memmap",
            ("RFC", "PATCH", "v2"),
            2,
            3,
            4,
        ),
        ("[PATCH net-next v3 01/12] net: x", "net: x", ("PATCH", "net-next", "v3"), 3, 1, 12),
        ("[PATCH 2/4 v3] mm: y", "mm: y", ("PATCH", "v3"), 3, 2, 4),
        ("[patch V5 0/2] cover", "cover", ("patch", "V5"), 5, 0, 2),
        ("[PATCH] [RFC] two groups", "two groups", ("PATCH", "RFC"), 1, None, None),
        ("[PATCHv4 1/2] git's --subject-prefix", "git's --subject-prefix", ("PATCHv4",), 4, 1, 2),
        ("[PATCH mm] plain", "plain", ("PATCH", "mm"), 1, None, None),
    ],
)
def test_prefixes_version_and_numbering(
    raw: str,
    title: str,
    prefixes: tuple[str, ...],
    version: int,
    number: int | None,
    total: int | None,
) -> None:
    subject = parse_subject(raw)
    assert (subject.title, subject.prefixes) == (title, prefixes)
    assert (subject.version, subject.number, subject.total) == (version, number, total)
    assert subject.is_patch
    assert subject.raw == raw


def test_reference_reply_subject() -> None:
    subject = parse_subject(
        "Re: [RFC PATCH v2 0/4] mm, memory_hotplug: allocate memmap from hotadded memory"
    )
    assert subject.is_reply and subject.rfc and subject.is_patch
    assert (subject.number, subject.total, subject.version) == (0, 4, 2)
    assert subject.title == "mm, memory_hotplug: allocate memmap from hotadded memory"


@pytest.mark.parametrize("marker", ["Re: ", "RE: ", "re:", "Re: Re: ", "Aw: ", "AW: Re: "])
def test_reply_markers_are_stripped(marker: str) -> None:
    subject = parse_subject(f"{marker}[PATCH] x")
    assert subject.is_reply
    assert (subject.title, subject.prefixes) == ("x", ("PATCH",))


def test_forward_is_stripped_but_is_not_a_reply() -> None:
    subject = parse_subject("Fwd: [PATCH RESEND] x")
    assert not subject.is_reply
    assert subject.resend
    assert subject.title == "x"


def test_rfc_alone_counts_as_a_patch() -> None:
    subject = parse_subject("[RFC] an idea")
    assert subject.rfc and subject.is_patch


@pytest.mark.parametrize(
    "raw",
    ["a subject without brackets", "[net-next] only a tree name", "mm: title [PATCH] later"],
)
def test_not_a_patch(raw: str) -> None:
    subject = parse_subject(raw)
    assert not subject.is_patch
    assert not subject.rfc


def test_brackets_after_the_title_started_are_title() -> None:
    assert parse_subject("mm: title [PATCH v2 1/2] later").title == "mm: title [PATCH v2 1/2] later"
    assert parse_subject("Re: [PATCH] [unclosed").title == "[unclosed"


# --- property: generated prefixes round trip ------------------------------------------

OTHER_WORDS = st.sampled_from(["net-next", "mm", "mm-unstable", "bpf", "stable", "5.10.y"])
PATCH_WORDS = st.sampled_from(["PATCH", "patch", "Patch"])
RFC_WORDS = st.sampled_from(["RFC", "rfc"])
RESEND_WORDS = st.sampled_from(["RESEND", "resend"])
TITLE_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_,.:()/[]-", min_size=1)
TITLE = st.builds(
    lambda first, rest: " ".join([first, *rest]),
    st.sampled_from(["mm,", "mm:", "x86/mm:", "sparse:", "fix", "memory_hotplug:"]),
    st.lists(TITLE_WORDS, max_size=5),
)
REPLIES = st.lists(st.sampled_from(["Re: ", "RE: ", "Aw: "]), max_size=3)


@st.composite
def subjects(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """A subject string and what it was built from."""
    words: list[str] = [draw(PATCH_WORDS)] if draw(st.booleans()) else []
    rfc = draw(st.booleans())
    resend = draw(st.booleans())
    version = draw(st.one_of(st.none(), st.integers(1, 99)))
    words += [draw(RFC_WORDS)] if rfc else []
    words += [draw(RESEND_WORDS)] if resend else []
    words += draw(st.lists(OTHER_WORDS, max_size=2))
    if version is not None:
        words.append(draw(st.sampled_from(["v", "V"])) + str(version))
    words = draw(st.permutations(words))
    numbering = None
    if draw(st.booleans()):
        total = draw(st.integers(1, 999))
        number = draw(st.integers(0, total))
        width = draw(st.integers(1, 3))
        numbering = (number, total)
        at = draw(st.integers(0, len(words)))
        words = [*words[:at], f"{number:0{width}d}/{total}", *words[at:]]
    cuts = sorted(draw(st.lists(st.integers(0, len(words)), max_size=2)))
    bounds = [0, *cuts, len(words)]
    brackets = " ".join("[" + " ".join(words[a:b]) + "]" for a, b in itertools.pairwise(bounds))
    replies = draw(REPLIES)
    title = draw(TITLE)
    raw = "".join(replies) + (brackets + " " if brackets else "") + title
    built = {
        "title": title,
        "prefixes": tuple(w for w in words if not re.fullmatch(r"\d+/\d+", w)),
        "version": version or 1,
        "rfc": rfc,
        "resend": resend,
        "numbering": numbering,
        "is_reply": bool(replies),
        "is_patch": any(w.upper() in ("PATCH", "RFC") for w in words),
    }
    return raw, built


def observed(subject: Subject) -> dict[str, object]:
    numbering = None if subject.number is None else (subject.number, subject.total)
    return {
        "title": subject.title,
        "prefixes": subject.prefixes,
        "version": subject.version,
        "rfc": subject.rfc,
        "resend": subject.resend,
        "numbering": numbering,
        "is_reply": subject.is_reply,
        "is_patch": subject.is_patch,
    }


@given(subjects())
def test_generated_subjects_round_trip(case: tuple[str, dict[str, object]]) -> None:
    raw, built = case
    assert observed(parse_subject(raw)) == built
