"""The report of the reference series, and of a hostile self-written one: every file,
CSVs that parse back with their documented columns, byte-identical reruns, escaping."""

from __future__ import annotations

import mailbox
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from patchscope.report.tables import COLUMNS
from patchscope.report.write import FILES, Request, write_report
from tests.conftest import REFERENCE_MANIFEST, REFERENCE_MBOX
from tests.report.hostile import FORMULA, FORMULA_FILE, IMG, JS, SCRIPT, make_hostile_series


def _patch_subjects(mbox: Path) -> list[str]:
    """The numbered patch mails of an mbox, read with the stdlib: the expected rows."""
    numbered = re.compile(r"\[[^\]]*\b([1-9]\d*)/(\d+)\]")
    subjects = [str(m["subject"]) for m in mailbox.mbox(mbox)]
    return [s for s in subjects if numbered.search(s) and not s.lower().startswith("re:")]


def _patches_saying(mbox: Path, words: str) -> list[int]:
    """The numbers of the patch mails whose text holds `words`, read with the stdlib."""
    numbered = re.compile(r"\[[^\]]*\b([1-9]\d*)/\d+\]")
    found = []
    for m in mailbox.mbox(mbox):
        match = numbered.search(str(m["subject"]))
        body = m.get_payload(decode=True) if not m.is_multipart() else b""
        if match and not str(m["subject"]).lower().startswith("re:") and words.encode() in body:
            found.append(int(match.group(1)))
    return found


@pytest.fixture(scope="module")
def reference(reference_written: tuple[Path, int, str]) -> Path:
    return reference_written[0]


class Page(HTMLParser):
    """Every start tag with its attributes, and the page's text, as a browser would parse it."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_reference_writes_every_file(reference: Path) -> None:
    assert sorted(p.name for p in reference.iterdir()) == sorted(FILES)
    assert all((reference / name).stat().st_size > 0 for name in FILES)


def test_tables_parse_back_with_documented_columns(reference: Path) -> None:
    for name, columns in COLUMNS.items():
        frame = pd.read_csv(reference / f"{name}.csv", keep_default_na=False)
        assert tuple(frame.columns) == columns, name
    patches = pd.read_csv(reference / "patches.csv")
    subjects = _patch_subjects(REFERENCE_MBOX)
    assert len(patches) == len(subjects) == 4
    assert list(patches["number"]) == [1, 2, 3, 4]
    # each title is the tail of its mail's subject (the mail header may be folded)
    for title, subject in zip(patches["subject"], subjects, strict=True):
        assert " ".join(subject.split()).endswith(title)


def test_patches_table_holds_the_mails_diffstats(reference: Path) -> None:
    """Claimed numbers as the mails write them; one run of `N files changed` per patch."""
    summary = re.compile(r"(\d+) files? changed, (\d+) insertions?\(\+\), (\d+) deletions?")
    text = REFERENCE_MBOX.read_text(encoding="utf-8", errors="replace")
    claimed = [tuple(map(int, m.groups())) for m in summary.finditer(text)]
    patches = pd.read_csv(reference / "patches.csv")
    columns = [f"diffstat.claimed.{k}" for k in ("files", "insertions", "deletions")]
    rows = [tuple(row) for row in patches[columns].itertuples(index=False)]
    assert claimed[1:5] == rows  # the cover letter's summary comes first


def test_perturbed_claim_shows_as_differing(tmp_path: Path) -> None:
    """The same thread with 1/4's summary line claiming one insertion more."""
    text = REFERENCE_MBOX.read_text(encoding="utf-8")
    line = " 3 files changed, 22 insertions(+), 36 deletions(-)\n"
    assert text.count(line) == 1
    mbox = tmp_path / "perturbed.mbox"
    mbox.write_text(text.replace(line, line.replace("22", "23")), encoding="utf-8")
    out = tmp_path / "report"
    write_report(Request(str(mbox), out, offline=True))
    patches = pd.read_csv(out / "patches.csv")
    assert list(patches["diffstat.claimed.insertions"]) == [23, 52, 354, 8]
    assert list(patches["diffstat.ok"]) == [False, True, True, True]
    page = (out / "index.html").read_text(encoding="utf-8")
    rows = page.split('<tr class="patch"')[1:]
    assert ["diffstat differs" in row for row in rows] == [True, False, False, False]


def test_files_table_sums_to_each_patch(reference: Path) -> None:
    files = pd.read_csv(reference / "files.csv", keep_default_na=False)
    patches = pd.read_csv(reference / "patches.csv").set_index("number")
    for number, group in files[files["patch"] > 0].groupby("patch"):
        assert (
            group["added"].astype(int).sum() == patches.loc[number, "diffstat.computed.insertions"]
        )
        assert len(group) == patches.loc[number, "diffstat.computed.files"]
    cover = files[files["patch"] == 0]
    assert len(cover) > 0


def test_two_runs_are_byte_identical(reference: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    write_report(Request(str(REFERENCE_MANIFEST), again, offline=True))
    for name in FILES:
        assert (again / name).read_bytes() == (reference / name).read_bytes(), name
    assert b"Generated by graphviz" not in (again / "graph.svg").read_bytes()


def test_page_ids_for_the_browser_test(reference: Path) -> None:
    page = Page((reference / "index.html").read_text(encoding="utf-8"))
    ids = [attrs.get("id") for _, attrs in page.tags if attrs.get("id")]
    assert len(ids) == len(set(ids))
    table_rows = [a for tag, a in page.tags if tag == "tr" and a.get("class") == "patch"]
    assert len(table_rows) == len(_patch_subjects(REFERENCE_MBOX))
    assert ("table", "patches") in [(tag, a.get("id")) for tag, a in page.tags]
    tags = [tag for tag, _ in page.tags]
    graph = next(i for i, (_, a) in enumerate(page.tags) if a.get("id") == "graph")
    assert tags[graph + 1] == "svg"
    assert "script" not in tags


def test_graph_outlines_what_each_patch_modifies(reference: Path) -> None:
    """4/4 renames kmalloc_section_memmap (its subject says so): its node carries p4."""
    page = Page((reference / "index.html").read_text(encoding="utf-8"))
    classes = [a.get("class") or "" for tag, a in page.tags if tag == "g"]
    assert any("p4" in c.split() and "touched" in c.split() for c in classes)
    assert any(c.split() == ["node"] for c in classes)  # untouched entities stay plain


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("hostile")
    out = where / "report"
    write_report(Request(str(make_hostile_series(where)), out, offline=True))
    return out


def test_hostile_strings_show_only_as_text(hostile: Path) -> None:
    page = Page((hostile / "index.html").read_text(encoding="utf-8"))
    tags = [tag for tag, _ in page.tags]
    assert "script" not in tags
    assert "img" not in tags
    for tag, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")], tag
        for value in attrs.values():
            assert not (value or "").strip().lower().startswith("javascript:")
    text = "".join(page.text)
    for hostile_text in (SCRIPT, IMG, JS, FORMULA):
        assert hostile_text in text
    assert "onerror=alert(1)>.c" in text  # the file name, as text


def test_hostile_graph_svg_has_no_markup_from_labels(hostile: Path) -> None:
    svg = Page((hostile / "graph.svg").read_text(encoding="utf-8"))
    assert {tag for tag, _ in svg.tags} <= {
        "svg",
        "g",
        "title",
        "text",
        "polygon",
        "path",
        "ellipse",
        "polyline",
        "tspan",
    }
    assert SCRIPT in "".join(svg.text)


def test_hostile_csv_cells_are_neutralised(hostile: Path) -> None:
    patches = pd.read_csv(hostile / "patches.csv")
    first, _, third = patches["subject"]
    assert third == "'" + FORMULA
    assert first.endswith(f"{SCRIPT} in a subject")
    files = pd.read_csv(hostile / "files.csv", keep_default_na=False)
    assert "'" + FORMULA_FILE in set(files["path"])
    for name in COLUMNS:
        frame = pd.read_csv(hostile / f"{name}.csv", dtype=str, keep_default_na=False)
        for column in frame.columns:
            assert not frame[column].str.match(r"[=+\-@]").any(), (name, column)
    # git C-quotes this name in the diff header; whichever way it is read, it is a cell's text
    assert any("<img src=x onerror=alert(1)>" in path for path in files["path"])


def test_static_and_model_verdicts_of_one_patch_share_its_row(reference: Path) -> None:
    """Where the model contradicts a patch's words (an error in findings.csv) and the static
    claim check does not, both verdicts show in that patch's row, the model's first with
    the higher severity; every other claim the checks read shows both judges too."""
    findings = pd.read_csv(reference / "findings.csv", keep_default_na=False)
    contradicted = findings[findings["rule"] == "model-claim-contradicted"]
    assert set(contradicted["severity"]) == {"error"}
    promising = _patches_saying(REFERENCE_MBOX, "functional change")
    assert promising == [2]  # "This patch shouldn't introduce any functional change."
    assert list(contradicted["patch"].astype(int)) == promising
    static_rules = {"claim-mismatch": "contradicted", "nfc-not-proved": "not proved"}
    static_rules["nfc-proved"] = "proved"
    rows = (reference / "index.html").read_text(encoding="utf-8").split('<tr class="patch"')[1:]
    for number, row in enumerate(rows, 1):
        says = row.split('<td class="says">')[1].split("</td>")[0]
        judged = re.findall(r'<span class="by">(\w+)</span>&#34;([^&]+)&#34; ([^<(]+)', says)
        mine = findings[findings["patch"].astype(str) == str(number)]
        for claim in {c for _, c, _ in judged}:
            by = {who: outcome.strip() for who, c, outcome in judged if c == claim}
            assert set(by) == {"model", "static"}, (number, claim)
            named = mine[mine["message"].str.contains(f'"{claim}"', regex=False)]
            static = [static_rules[r] for r in named["rule"] if r in static_rules]
            assert by["static"] == (static[0] if static else "no finding"), (number, claim)
            assert (by["model"] == "contradicted") == (number in promising), (number, claim)
        if number in promising:
            assert judged[0][0] == "model" and judged[0][1] == "no functional change"
            assert judged[0][2].strip() == "contradicted"
            assert says.index('<span class="sev-error">(error)</span>') < says.index("static")
            assert "contradicted" not in [o.strip() for who, _, o in judged if who == "static"]
    # 1/4 calls itself a cleanup (its subject); the static check could not prove it
    assert "nfc-not-proved" in set(findings[findings["patch"].astype(str) == "1"]["rule"])
    assert "&#34;cleanup&#34; not proved" in rows[0]
