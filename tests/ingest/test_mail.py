"""Mail decoding: the reference thread, mboxrd escaping, CRLF, charsets, MIME and headers."""

from __future__ import annotations

import base64
import mailbox
import quopri
import re
from datetime import UTC, datetime, timedelta, timezone
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

import pytest

from patchscope.errors import MailError
from patchscope.ingest.mail import Mail, Person, parse_mail, read_mbox
from tests.conftest import REFERENCE_MBOX

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"

# The order and ids of the thread's README table.
THREAD_IDS = [
    "20190122103708.11043-1-osalvador@suse.de",
    "20190122103708.11043-2-osalvador@suse.de",
    "20190122103708.11043-3-osalvador@suse.de",
    "20190122103708.11043-4-osalvador@suse.de",
    "20190122103708.11043-5-osalvador@suse.de",
    "d9dbefb8-052e-7cb5-3de4-245d05270ff9@redhat.com",
    "20190130215159.culyc2wcgocp5l2p@d104.suse.de",
    "20190212124707.000028ea@huawei.com",
]

PATCH = (
    "diff --git a/mm/foo.c b/mm/foo.c\n"
    "--- a/mm/foo.c\n"
    "+++ b/mm/foo.c\n"
    "@@ -1,2 +1,2 @@\n"
    " int a;\n"
    "-int b;\n"
    "+long b;\n"
)


@pytest.fixture(scope="module")
def thread() -> list[Mail]:
    return read_mbox(REFERENCE_MBOX.read_bytes(), str(REFERENCE_MBOX))


def mail_bytes(headers: str, body: bytes) -> bytes:
    return headers.encode("ascii") + b"\n\n" + body


# --- the reference thread -------------------------------------------------------------


def test_thread_has_eight_messages_with_the_readme_ids_in_order(thread: list[Mail]) -> None:
    assert [mail.message_id for mail in thread] == THREAD_IDS
    assert [mail.origin for mail in thread] == [f"{REFERENCE_MBOX}#{i}" for i in range(8)]


def test_thread_ids_agree_with_a_plain_scan_of_the_file() -> None:
    text = REFERENCE_MBOX.read_text(encoding="utf-8")
    scanned = re.findall(r"^message-id: <(.+)>$", text, re.MULTILINE | re.IGNORECASE)
    assert scanned == THREAD_IDS


def test_thread_replies_point_at_the_cover_letter(thread: list[Mail]) -> None:
    cover = THREAD_IDS[0]
    assert thread[0].in_reply_to is None
    assert thread[0].references == ()
    for mail in thread[1:]:
        assert mail.in_reply_to == cover
        assert mail.references == (cover,)


def test_thread_senders_subjects_and_dates(thread: list[Mail]) -> None:
    assert thread[0].sender == Person("Oscar Salvador", "osalvador@suse.de")
    assert thread[5].sender == Person("David Hildenbrand", "david@redhat.com")
    assert thread[7].sender == Person("Jonathan Cameron", "jonathan.cameron@huawei.com")
    assert thread[3].subject == (
        "[RFC PATCH v2 3/4] mm, memory_hotplug: allocate memmap from the added memory range"
        " for sparse-vmemmap"
    )
    # "Tue, 22 Jan 2019 11:37:04 +0100" and "Tue, 12 Feb 2019 12:47:07 +0000"
    cet = timezone(timedelta(hours=1))
    assert thread[0].date == datetime(2019, 1, 22, 11, 37, 4, tzinfo=cet).astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert thread[7].date == "2019-02-12T12:47:07Z"


def test_thread_upper_case_cc_header_is_read(thread: list[Mail]) -> None:
    # Jonathan Cameron's reply spells the header "CC:" and lists ten addresses.
    assert len(thread[7].cc) == 10
    assert thread[7].cc[-1] == Person("Robin Murphy", "robin.murphy@arm.com")
    assert thread[5].to == (
        Person("Oscar Salvador", "osalvador@suse.de"),
        Person("", "linux-mm@kvack.org"),
    )


def test_thread_bodies_are_the_bytes_between_headers_and_next_message(
    thread: list[Mail],
) -> None:
    text = REFERENCE_MBOX.read_text(encoding="utf-8")
    patch4 = text.split("\nFrom osalvador@suse.de Tue Jan 22 10:37:08 2019\n")[1]
    patch4 = patch4.split("\n\nFrom david@redhat.com ")[0]
    assert thread[4].body == patch4.split("\n\n", 1)[1] + "\n"
    assert thread[4].body.startswith("From: Michal Hocko <mhocko@suse.com>\n\n")


def test_thread_in_crlf_decodes_the_same(thread: list[Mail]) -> None:
    crlf = REFERENCE_MBOX.read_bytes().replace(b"\n", b"\r\n")
    assert read_mbox(crlf, str(REFERENCE_MBOX)) == thread


def test_thread_message_without_its_message_id_gets_a_synthetic_one() -> None:
    data = REFERENCE_MBOX.read_bytes().replace(
        b"Message-Id: <20190122103708.11043-3-osalvador@suse.de>\n", b""
    )
    mails = read_mbox(data, "t")
    assert [m.message_id for m in mails[:2]] == THREAD_IDS[:2]
    assert re.fullmatch(r"patchscope-[0-9a-f]+@local", mails[2].message_id)
    assert [m.message_id for m in mails[3:]] == THREAD_IDS[3:]


# --- mbox splitting -------------------------------------------------------------------

BODY_WITH_FROM_LINES = (
    "Hello,\nFrom the start.\n>From a quote.\n>>From deeper.\nFrom: not a header\n"
)


def mboxrd(bodies: list[str]) -> bytes:
    """An mboxrd file written the way lore writes one, escaping body 'From ' lines."""
    out = []
    for index, body in enumerate(bodies):
        escaped = re.sub(r"^(>*From )", r">\1", body, flags=re.MULTILINE)
        out.append(
            f"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
            f"From: A U Thor <author@example.org>\nSubject: [PATCH {index + 1}/2] x\n"
            f"Message-ID: <m{index}@example.org>\n\n{escaped}\n"
        )
    return "".join(out).encode()


def test_mboxrd_escaping_round_trips() -> None:
    bodies = [BODY_WITH_FROM_LINES, "second\n>From kept once\n"]
    mails = read_mbox(mboxrd(bodies), "rd.mbox")
    assert [m.body for m in mails] == bodies
    assert [m.origin for m in mails] == ["rd.mbox#0", "rd.mbox#1"]


def test_stdlib_mailbox_keeps_the_escape_that_read_mbox_undoes(tmp_path: Path) -> None:
    path = tmp_path / "rd.mbox"
    path.write_bytes(mboxrd([BODY_WITH_FROM_LINES]))
    stdlib_body = next(iter(mailbox.mbox(path))).get_payload()
    assert ">From the start." in stdlib_body
    assert ">From the start." not in read_mbox(path.read_bytes(), str(path))[0].body


def test_single_mail_without_from_line_is_one_message_and_not_unescaped() -> None:
    raw = b"From: A <a@example.org>\nSubject: [PATCH] x\n\n>From stays as written\n"
    mails = read_mbox(raw, "one.eml")
    assert len(mails) == 1
    assert mails[0].origin == "one.eml"
    assert mails[0].body == ">From stays as written\n"


def test_from_line_splits_only_after_a_blank_line() -> None:
    data = (
        b"From git@z Thu Jan  1 00:00:00 1970\nFrom: A <a@example.org>\nSubject: x\n\n"
        b"text\nFrom 1234 Mon Sep 17 00:00:00 2001\nSubject: y\n\nz\n"
    )
    assert [m.subject for m in read_mbox(data, "m")] == ["x"]
    split = read_mbox(data.replace(b"text\n", b"text\n\n"), "m")
    assert [(m.subject, m.body) for m in split] == [("x", "text\n"), ("y", "z\n")]


def test_body_line_starting_with_from_is_not_a_separator() -> None:
    data = mboxrd(["one\n"]).replace(b"one\n", b"one\n\nFrom the start, unescaped\n")
    assert [m.body for m in read_mbox(data, "m")] == ["one\n\nFrom the start, unescaped\n"]


def test_crlf_mbox_reads_as_the_lf_one() -> None:
    lf = mboxrd([BODY_WITH_FROM_LINES, "two\n"])
    crlf = lf.replace(b"\n", b"\r\n")
    assert read_mbox(crlf, "m") == read_mbox(lf, "m")
    assert all("\r" not in mail.body for mail in read_mbox(crlf, "m"))


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\r\n  \r\n"])
def test_empty_input_is_an_error(data: bytes) -> None:
    with pytest.raises(MailError, match=r"^empty\.mbox is empty$"):
        read_mbox(data, "empty.mbox")


@pytest.mark.parametrize(
    "data", [b"just some words\nand more\n", b"diff --git a/x b/x\n--- a/x\n+++ b/x\n"]
)
def test_data_without_mail_headers_is_an_error_naming_the_origin(data: bytes) -> None:
    with pytest.raises(MailError) as caught:
        read_mbox(data, "notes.txt")
    assert str(caught.value).startswith("notes.txt")
    assert "\n" not in str(caught.value)


def test_an_mbox_message_without_headers_names_its_index() -> None:
    data = mboxrd(["ok\n"]) + b"From x@y Thu Jan  1 00:00:00 1970\n\nno headers here\n"
    with pytest.raises(MailError, match=r"^m#1"):
        read_mbox(data, "m")


# --- headers --------------------------------------------------------------------------


def test_hand_written_mail_with_odd_headers() -> None:
    path = FIXTURES / "odd-headers.eml"
    mail = parse_mail(path.read_bytes(), str(path))
    assert mail.message_id == "odd-headers-1@example.org"  # lower-case name, no brackets
    assert mail.subject == "[PATCH v3 2/5] mm: café allocation path"  # folded, RFC 2047
    assert mail.sender == Person("Jörg Rödel", "joerg@example.org")  # "FROM:", ISO-8859-1
    assert mail.to == (
        Person("Doe, Jane", "jane@example.org"),
        Person("Élise", "elise@example.org"),
    )
    assert mail.cc == (
        Person("", "linux-mm@kvack.org"),
        Person("Second Header", "second@example.org"),
    )
    assert mail.in_reply_to == "cover-0@example.org"
    assert mail.references == ("root@example.org", "cover-0@example.org")
    assert mail.date == "2024-02-06T04:30:00Z"  # 23:30 at -0500 is the next day in UTC
    assert mail.body == "Price: 5 €, naïve, a soft wrap.\n"  # ISO-8859-15, quoted-printable


def test_rfc2047_subject_carrying_the_patch_prefix() -> None:
    encoded = Header("[PATCH v3 2/5] mm: réserve the memmap", "utf-8").encode()
    assert "[PATCH" not in encoded
    mail = parse_mail(mail_bytes(f"Subject: {encoded}\nMessage-Id: <a@b>", b"x\n"), "s")
    assert mail.subject == "[PATCH v3 2/5] mm: réserve the memmap"


@pytest.mark.parametrize("name", ["Message-ID", "Message-Id", "message-id", "MESSAGE-ID"])
def test_message_id_header_in_any_case(name: str) -> None:
    mail = parse_mail(mail_bytes(f"Subject: x\n{name}: <id-1@example.org>", b"b\n"), "m")
    assert mail.message_id == "id-1@example.org"


def test_raw_utf8_and_latin1_headers_are_decoded() -> None:
    utf8 = "From: Jörg Rödel <j@example.org>\nSubject: café\n\nb\n".encode()
    assert parse_mail(utf8, "u").sender.name == "Jörg Rödel"
    latin1 = "From: Jörg <j@example.org>\nSubject: café\n\nb\n".encode("latin-1")
    assert parse_mail(latin1, "l").subject == "café"


def test_a_stray_line_in_the_header_block_starts_the_body_as_in_the_stdlib_parser() -> None:
    raw = b"Subject: x\nFrom: A <a@example.org>\nnot a header\nTo: c@example.org\n\nbody\n"
    full = BytesParser(policy=compat32).parsebytes(raw)
    mail = parse_mail(raw, "m")
    assert mail.body == full.get_payload() == "not a header\nTo: c@example.org\n\nbody\n"
    assert mail.to == ()


def test_missing_headers_give_empty_values() -> None:
    mail = parse_mail(b"Subject: only a subject\n\nbody\n", "m")
    assert mail.sender == Person("", "")
    assert (mail.date, mail.in_reply_to, mail.references, mail.to, mail.cc) == (
        "",
        None,
        (),
        (),
        (),
    )


@pytest.mark.parametrize("date", ["yesterday", "Mon, 99 Foo 2019 25:61:00 +0100", ""])
def test_unreadable_date_is_empty(date: str) -> None:
    assert parse_mail(mail_bytes(f"Subject: x\nDate: {date}", b"b\n"), "m").date == ""


def test_synthetic_id_is_deterministic_and_depends_on_the_bytes() -> None:
    raw = b"Subject: no id\n\nbody\n"
    first, again = parse_mail(raw, "a"), parse_mail(raw, "b")
    other = parse_mail(raw.replace(b"body", b"bodY"), "a")
    assert re.fullmatch(r"patchscope-[0-9a-f]+@local", first.message_id)
    assert first.message_id == again.message_id
    assert other.message_id != first.message_id


# --- bodies ---------------------------------------------------------------------------

CHARSET_TEXTS = {
    "utf-8": "Grüße, “quotes” and € — all fine\n",
    "latin-1": "Jörg Rödel: naïve façade\n",
    "iso-8859-15": "Price: 5 € and œuvre\n",
    "windows-1252": "“smart” quotes \u2013 and € sign\n",
}


def encode_body(text: str, charset: str, encoding: str) -> bytes:
    data = text.encode(charset)
    if encoding == "quoted-printable":
        return quopri.encodestring(data)
    if encoding == "base64":
        return base64.encodebytes(data)
    return data


@pytest.mark.parametrize("charset", sorted(CHARSET_TEXTS))
@pytest.mark.parametrize("encoding", ["8bit", "quoted-printable", "base64"])
def test_body_charsets_and_transfer_encodings(charset: str, encoding: str) -> None:
    text = CHARSET_TEXTS[charset]
    headers = (
        f"Subject: x\nContent-Type: text/plain; charset={charset}\n"
        f"Content-Transfer-Encoding: {encoding}"
    )
    mail = parse_mail(mail_bytes(headers, encode_body(text, charset, encoding)), "m")
    assert mail.body == text


def test_the_declared_charset_matters() -> None:
    data = CHARSET_TEXTS["latin-1"].encode("latin-1")
    headers = "Subject: x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit"
    assert "\ufffd" in parse_mail(mail_bytes(headers, data), "m").body


def test_unknown_charset_decodes_as_utf8_with_replacement() -> None:
    headers = "Subject: x\nContent-Type: text/plain; charset=x-no-such-charset"
    good = parse_mail(mail_bytes(headers, "Grüße\n".encode()), "m")
    bad = parse_mail(mail_bytes(headers, b"Gr\xfc\xdfe\n"), "m")
    assert good.body == "Grüße\n"
    assert bad.body == "Gr\ufffd\ufffde\n"


def test_base64_body_with_crlf_lines_becomes_lf() -> None:
    payload = base64.encodebytes(b"line one\r\nline two\r\n")
    headers = (
        "Subject: x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64"
    )
    assert parse_mail(mail_bytes(headers, payload), "m").body == "line one\nline two\n"


def multipart(*parts: MIMEText | MIMEApplication) -> bytes:
    outer = MIMEMultipart()
    outer["Subject"] = "[PATCH] attached"
    outer["Message-ID"] = "<mp@example.org>"
    for part in parts:
        outer.attach(part)
    return outer.as_bytes()


def attachment(part: MIMEText | MIMEApplication, name: str) -> MIMEText | MIMEApplication:
    part.add_header("Content-Disposition", "attachment", filename=name)
    return part


def test_multipart_attached_patch_is_appended_to_the_body() -> None:
    raw = multipart(
        MIMEText("Please apply.\n", "plain", "utf-8"),
        attachment(MIMEText(PATCH, "x-patch", "utf-8"), "0001-foo.patch"),
        MIMEText("<p>html twin</p>", "html", "utf-8"),
        attachment(MIMEApplication(b"-----BEGIN PGP SIGNATURE-----\n", "pgp-signature"), "s"),
    )
    assert parse_mail(raw, "m").body == "Please apply.\n" + PATCH


def test_octet_stream_attachment_counts_only_when_it_holds_a_diff() -> None:
    text = MIMEText("See attachment.\n", "plain", "utf-8")
    with_diff = attachment(MIMEApplication(PATCH.encode()), "fix.diff")
    binary = attachment(MIMEApplication(bytes(range(256))), "blob.bin")
    assert parse_mail(multipart(text, with_diff), "m").body == "See attachment.\n" + PATCH
    assert parse_mail(multipart(text, binary), "m").body == "See attachment.\n"


def test_multipart_with_only_an_attached_patch() -> None:
    raw = multipart(attachment(MIMEText(PATCH, "plain", "utf-8"), "0001-foo.patch"))
    assert parse_mail(raw, "m").body == PATCH
