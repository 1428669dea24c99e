"""Claims as data: quotes found in the text they cite, values read as the text writes them,
and each claim replayed; the reference manifest's claims against the model."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from patchscope.model.claims import (
    Claim,
    ClaimError,
    Number,
    check_claim,
    evaluate,
    expected_value,
    holds,
    normalise,
    quote_present,
    read_claims,
)
from patchscope.pipeline import load_series
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX

# x86_64 facts (design.md), written here independently of the model.
PAGE, STRUCT_PAGE, SECTION = 4096, 64, 128 << 20
VMEMMAP_START = 0xFFFFEA0000000000


@pytest.fixture(scope="module")
def series():  # type: ignore[no-untyped-def]
    return load_series(str(REFERENCE_MANIFEST), offline=True)


@pytest.fixture(scope="module")
def claims() -> tuple[Claim, ...]:
    return read_claims(REFERENCE_MANIFEST)


def _size(text: str) -> int:
    number, unit = re.fullmatch(r"([0-9]+)([MG])", text).groups()  # type: ignore[union-attr]
    return int(number) << (20 if unit == "M" else 30)


def x86_memmap_in_range(claim: Claim, stage: int) -> Mapping[str, Number]:
    """What the series says it does on x86_64 (memmap at the start of the range), from the
    kernel facts, for claims whose replay is not under test here."""
    p = dict(claim.params)
    start, size = _size(p["start"]), _size(p["size"])
    sections, pages = size // SECTION, size // PAGE
    vmemmap = pages * STRUCT_PAGE // PAGE
    va = VMEMMAP_START + start // PAGE * STRUCT_PAGE
    return {
        "page_size": PAGE,
        "struct_page_size": STRUCT_PAGE,
        "sections": sections,
        "pages": pages,
        "vmemmap_pages": vmemmap,
        "memmap_from_range_pages": vmemmap,
        "memmap_va_start": va,
        "memmap_va_end": va + pages * STRUCT_PAGE,
        "vmemmap_va_start": va,
        "vmemmap_va_end": va + vmemmap * STRUCT_PAGE,
        "refcount": sections,
        "private": vmemmap,
        "memory_blocks_registered": size // _size(p["block_size"]),
    }


def test_every_reference_quote_is_in_the_text_it_cites(series, claims) -> None:  # type: ignore[no-untyped-def]
    assert len(claims) >= 25
    assert {c.source for c in claims} >= {"cover", "message:3", "diff:3"}
    raw = REFERENCE_MBOX.read_text()
    for claim in claims:
        assert quote_present(series, claim), claim.quote
        # independently: every word of the quote is in the raw mbox
        assert all(word in raw for word in claim.quote.split())


def test_a_quote_with_one_digit_changed_is_not_found(series, claims) -> None:  # type: ignore[no-untyped-def]
    claim = next(c for c in claims if c.quote == "- 524288 pages")
    changed = Claim(**{**claim.__dict__, "quote": "- 524289 pages"})
    result = check_claim(series, changed, x86_memmap_in_range)
    assert not result.ok and result.replayed is None
    assert result.reason == "quote not found in cover"


def test_quote_source_matters(series, claims) -> None:  # type: ignore[no-untyped-def]
    """The 10 GB comment is in 3/4's added lines, not in its commit message nor in 2/4."""
    claim = next(c for c in claims if c.source == "diff:3")
    assert quote_present(series, claim)
    for elsewhere in ("message:3", "diff:2", "cover"):
        assert not quote_present(series, Claim(**{**claim.__dict__, "source": elsewhere}))


def test_quotes_match_across_line_wraps_and_comment_leaders(series) -> None:  # type: ignore[no-untyped-def]
    wrapped = Claim(
        quote="we keep a pointer of it in page->freelist.",  # two comment lines in 3/4
        source="diff:3",
        flow="hot-add",
        params=(),
        observable="sections",
        expected=0,
    )
    assert quote_present(series, wrapped)
    assert not quote_present(series, Claim(**{**wrapped.__dict__, "quote": "of it in page->lru."}))
    assert normalise(" a\n\t b  c\n") == "a b c"


def test_claims_replay_against_the_facts(series, claims) -> None:  # type: ignore[no-untyped-def]
    """The x86_64 claims at the last stage hold over values computed from the kernel facts."""
    x86 = [
        c
        for c in claims
        if dict(c.params).get("arch") == "x86_64" and c.stage is None and c.flow == "hot-add"
    ]
    assert len(x86) >= 15
    for claim in x86:
        result = check_claim(series, claim, x86_memmap_in_range)
        assert result.ok, (claim, result)
        assert result.replayed == evaluate(claim.observable, x86_memmap_in_range(claim, 4))


def test_a_wrong_replay_fails_with_both_numbers(series, claims) -> None:  # type: ignore[no-untyped-def]
    claim = next(c for c in claims if c.quote == "ffffea0004000000 will have a refcount of 80.")

    def off_by_one(c: Claim, stage: int) -> Mapping[str, Number]:
        return {**x86_memmap_in_range(c, stage), "refcount": 79, "sections": 79}

    result = check_claim(series, claim, off_by_one)
    assert (result.ok, result.replayed) == (False, 79)
    assert result.reason == "replayed 79, the text says 80"


def test_the_last_struct_page_is_one_before_the_half_open_end(series, claims) -> None:  # type: ignore[no-untyped-def]
    claim = next(c for c in claims if c.expected == "ffffea000427ffc0")
    names = x86_memmap_in_range(claim, 4)
    # 10 GiB from 4 GiB: 40960 memmap pages, their struct pages from pfn 0x100000
    assert names["vmemmap_va_end"] == VMEMMAP_START + (0x100000 + 40960) * 64
    assert check_claim(series, claim, x86_memmap_in_range).ok
    half_open = Claim(**{**claim.__dict__, "observable": "vmemmap_va_end"})
    assert not check_claim(series, half_open, x86_memmap_in_range).ok


@pytest.mark.parametrize(
    ("text", "value", "approx"),
    [
        (16, 16, False),
        ("0xffffea0004000000", 0xFFFFEA0004000000, False),
        ("ffffea000427ffc0", 0xFFFFEA000427FFC0, False),
        ("~2MB", 2 << 20, True),
        ("16MB", 16 << 20, False),
        ("128M", 128 << 20, False),
        ("2GB", 2 << 30, False),
        ("64KiB", 64 << 10, False),
        ("36864", 36864, False),
        ("sections", 72, False),
        ("pages - vmemmap_pages", 100 - 7, False),
    ],
)
def test_expected_values_as_the_text_writes_them(text: int | str, value: int, approx: bool) -> None:
    got = expected_value(text, {"sections": 72, "pages": 100, "vmemmap_pages": 7})
    assert (got.value, got.approx) == (value, approx)


def test_approximate_values_hold_within_five_percent() -> None:
    two_mib = expected_value("~2MB", {})
    assert holds(2 << 20, two_mib) and holds(2_000_000, two_mib)
    assert not holds(3 << 20, two_mib)
    assert not holds((2 << 20) + 1, expected_value("2MB", {}))


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("nonsense_name", "the replay has no observable 'nonsense_name'"),
        ("__import__('os')", "only + - * / // ** over observables and numbers"),
        ("pages / 0", "division by zero"),
        ("pages +", "not an expression over observables"),
    ],
)
def test_bad_expressions_are_claim_errors(expression: str, message: str) -> None:
    with pytest.raises(ClaimError, match=re.escape(message)):
        evaluate(expression, {"pages": 4})


def test_unknown_observable_fails_the_claim_with_a_reason(series, claims) -> None:  # type: ignore[no-untyped-def]
    claim = Claim(**{**claims[0].__dict__, "observable": "sectoins"})
    result = check_claim(series, claim, x86_memmap_in_range)
    assert not result.ok and "no observable 'sectoins'" in str(result.reason)


_CLAIM = 'quote = "q"\nsource = "cover"\nflow = "f"\nobservable = "x"\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('source = "cover"\nflow = "hot-add"\nobservable = "x"\nexpected = 1', "'quote' must"),
        (_CLAIM.replace("cover", "patch:3") + "expected = 1", "source"),
        (_CLAIM + "expected = true", "expected"),
        (_CLAIM + "expected = 1\nstage = -1", "stage"),
    ],
)
def test_malformed_claims_name_file_and_claim(tmp_path: Path, body: str, message: str) -> None:
    manifest = tmp_path / "s.toml"
    manifest.write_text(f'name = "s"\n[[claim]]\n{body}\n')
    with pytest.raises(ClaimError, match=rf"s\.toml: claim 1: .*{re.escape(message)}"):
        read_claims(manifest)


def test_a_manifest_without_claims_has_none(tmp_path: Path) -> None:
    manifest = tmp_path / "s.toml"
    manifest.write_text('name = "s"\n')
    assert read_claims(manifest) == ()
