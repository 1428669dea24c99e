"""Mail decoding: mboxrd splitting and one decoded, text-only view of each message."""

from __future__ import annotations

import codecs
import itertools
import re
from dataclasses import dataclass
from datetime import UTC

# email.policy re-exports Compat32 from here, at the price of loading its header registry
# and parser (~3 ms of every start-up) that compat32 never uses
from email._policybase import Compat32
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache

from patchscope import limits
from patchscope.digest import sha256_hex
from patchscope.errors import LimitError, MailError


@dataclass(frozen=True)
class Person:
    """A display name (empty when none is given) and a mail address."""

    name: str
    email: str


@dataclass(frozen=True)
class Unreadable:
    """A header the loader reads whose value it could not use: taken as absent (or, for a
    charset or an encoded word, read the fallback way) and reported as an info finding."""

    header: str  # as the loader names it: "Date", "Message-ID", "Content-Type charset", ...
    reason: str  # why, with the value shortened


@dataclass(frozen=True)
class Mail:
    """One message, decoded: headers as text, body as LF-terminated text.

    `body` holds the text/plain part; a patch sent as an attachment (text/x-patch,
    text/x-diff, or any part whose text starts a diff) is appended to it, so later
    stages never see MIME.
    """

    message_id: str  # without angle brackets
    in_reply_to: str | None  # without angle brackets
    references: tuple[str, ...]
    sender: Person  # the From: header
    subject: str  # decoded (RFC 2047) and unfolded
    date: str  # ISO 8601 in UTC, "" when missing or unreadable
    to: tuple[Person, ...]
    cc: tuple[Person, ...]
    body: str
    origin: str  # where it was read: "path" or "path#index" for an mbox
    unreadable: tuple[Unreadable, ...] = ()


# The mbox "From_" line: "From <sender> <asctime date>", as lore, b4 and git format-patch
# write it. Requiring the clock time keeps a stray unescaped "From " body line (mboxo) from
# being taken for a separator.
_FROM_LINE = re.compile(rb"^From \S+ +.*\d\d:\d\d", re.MULTILINE)
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_MAIL_HEADERS = ("from", "subject", "date", "message-id", "to", "in-reply-to")
_PATCH_TYPES = ("text/x-patch", "text/x-diff", "text/x-diff-patch")
# Where a diff starts, as git am's patch break sees it: "diff -", a "--- "/"+++ " header
# pair, or "Index:" followed by "===" or "--- ". Shared with trailers.split_body.
DIFF_START = re.compile(
    r"^(?:diff -|--- \S[^\n]*\n\+\+\+ |Index: [^\n]*\n(?:===|--- ))", re.MULTILINE
)
_MSGID = re.compile(r"<([^<>\s]+)>")


def read_mbox(data: bytes, origin: str) -> list[Mail]:
    """Split an mbox/mboxrd file and decode every message, undoing the >From escaping."""
    data = data.replace(b"\r\n", b"\n").lstrip(b"\n")
    if not data.strip():
        raise MailError(f"{origin} is empty")
    if not _FROM_LINE.match(data):
        return [parse_mail(data, origin)]
    return [
        parse_mail(_ESCAPED_FROM.sub(rb"\1", chunk), f"{origin}#{index}")
        for index, chunk in enumerate(_split_mbox(data))
    ]


def _split_mbox(data: bytes) -> list[bytes]:
    """Messages of an mbox, without their From_ lines and the blank line that ends each.

    Split by hand: `mailbox.mbox` wants a file path, not bytes, and would split on any
    line starting with "From "; here a separator must also follow a blank line (or open
    the file) and look like a real From_ line.
    """
    starts = [m.start() for m in _FROM_LINE.finditer(data) if _after_blank_line(data, m.start())]
    chunks = []
    for begin, end in itertools.pairwise([*starts, len(data)]):
        first_line_end = data.find(b"\n", begin, end)
        chunk = data[first_line_end + 1 : end] if first_line_end >= 0 else b""
        chunks.append(_drop_separator(chunk if chunk.endswith(b"\n") else chunk + b"\n"))
    return chunks


def _after_blank_line(data: bytes, at: int) -> bool:
    previous = data.rfind(b"\n", 0, max(at - 1, 0))
    return at == 0 or not data[previous + 1 : at].strip()


def _drop_separator(chunk: bytes) -> bytes:
    """The message without the blank line that mbox writes after it."""
    last_line = chunk.rfind(b"\n", 0, len(chunk) - 1) + 1
    return chunk[:last_line] if not chunk[last_line:].strip() else chunk


def parse_mail(raw: bytes, origin: str) -> Mail:
    """Decode one RFC 5322 message (a .patch/.eml file or one message of an mbox).

    A message without Message-ID gets a stable one from the hash of its bytes, so the
    same file always yields the same id.
    """
    raw = raw.replace(b"\r\n", b"\n")
    msg = _parse(raw.lstrip(b"\n"), origin)
    _check_limits(msg, origin)
    if not any(key.lower() in _MAIL_HEADERS for key in msg):
        raise MailError(f"{origin}: not a mail (no mail headers)")
    senders = _people(msg, "from")
    body = _body(msg)
    # short lines on the wire can decode (quoted-printable soft breaks, base64) to one long one
    longest = max(map(len, body.split("\n")))
    limits.check(origin, "the longest decoded line in characters", longest, "max_line_length")
    date = _header(msg, "date")
    iso_date = _iso_date(date) if date else ""
    message_id = _first_id(_header(msg, "message-id"))
    return Mail(
        message_id=message_id or _synthetic_id(raw),
        in_reply_to=_first_id(_header(msg, "in-reply-to")),
        references=tuple(_all_ids(_header(msg, "references"))),
        sender=senders[0] if senders else Person("", ""),
        subject=decode_words(_header(msg, "subject")),
        date=iso_date or "",
        to=_people(msg, "to"),
        cc=_people(msg, "cc"),
        body=body,
        origin=origin,
        unreadable=unreadable_headers(msg, date_ok=iso_date is not None),
    )


def _parse(raw: bytes, origin: str) -> Message:
    """The message, its MIME tree parsed only when it has one.

    Most patch mails are a single text part: the parser reads only the header block and
    the body is attached as it is, which saves it walking every body line.
    """
    head, blank, rest = raw.partition(b"\n\n")
    msg = BytesParser(policy=_RAW_HEADERS).parsebytes(head + blank, headersonly=True)
    # A line in the header block that is no header starts the body. compat32 hands such a
    # line back re-decoded (in the declared charset, which may not exist) when it holds
    # 8-bit bytes, and the raw rest cannot join it: a header block with 8-bit bytes is
    # parsed whole.
    if msg.get_content_maintype() == "multipart" or not head.isascii():
        try:  # the parser recurses once per level: a thousand levels exhaust Python's stack
            return BytesParser(policy=_RAW_HEADERS).parsebytes(raw)
        except RecursionError:
            raise LimitError(
                f"{origin}: MIME parts nested too deep for Python's parser "
                f"({limits.flag('max_mime_depth')} is {limits.current().max_mime_depth})"
            ) from None
    # A line in the header block that is no header starts the body; keep what follows it.
    msg.set_payload(str(msg.get_payload()) + rest.decode("ascii", "surrogateescape"))
    return msg


def _check_limits(msg: Message, origin: str) -> None:
    """Every part's headers and the nesting depth, walked without recursion."""
    pending: list[tuple[Message, int]] = [(msg, 0)]
    deepest = 0
    while pending:
        part, depth = pending.pop()
        deepest = max(deepest, depth)
        for key, value in part.items():
            limits.check(origin, f"header {key[:40]}: length", len(value), "max_header_length")
        if part.is_multipart():
            children = part.get_payload()
            pending.extend((c, depth + 1) for c in children if isinstance(c, Message))
    limits.check(origin, "MIME nesting depth", deepest, "max_mime_depth")


class _RawHeaderPolicy(Compat32):
    """compat32, but header values come back as the raw text, never as Header objects.

    compat32 rather than policy.default: it never raises on a malformed header and hands
    back payload bytes exactly as sent; we decode headers ourselves (raw 8-bit bytes, then
    RFC 2047 words, with a charset fallback) instead of letting a Header object replace
    undeclared 8-bit bytes with U+FFFD.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_RAW_HEADERS = _RawHeaderPolicy()


def _header(msg: Message, name: str) -> str:
    """The first header of that name (any case), unfolded, 8-bit bytes decoded; "" if absent."""
    values = _header_values(msg, name)
    return values[0].strip() if values else ""


def _header_values(msg: Message, name: str) -> list[str]:
    raw_values: list[str] = msg.get_all(name, [])
    return [
        _decode_bytes(re.sub(r"\n[ \t]+", " ", value).encode("ascii", "surrogateescape"), None)
        for value in raw_values
    ]


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; an unknown charset falls back to UTF-8 with replacement,
    broken base64 in a word leaves the value as it was sent."""
    try:
        words = decode_header(value)
    except HeaderParseError:
        words = [(value, None)]
    parts = []
    for chunk, charset in words:
        parts.append(chunk if isinstance(chunk, str) else _decode_bytes(chunk, charset))
    return re.sub(r"\s*\n\s*", " ", "".join(parts)).strip()


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes in a declared charset; never raises.

    A known charset is used as declared; an unknown one reads as UTF-8 with replacement.
    Without a charset (or with us-ascii, which 8-bit bytes contradict) the bytes are
    UTF-8 when they decode as such, else Latin-1, the usual legacy 8-bit mail charset.
    """
    codec = _codec(charset) if charset else "ascii"
    if codec != "ascii":
        try:
            return data.decode(codec, errors="replace")
        except UnicodeError:  # idna and punycode know no "replace"
            return data.decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _codec(charset: str) -> str:
    """The codec a charset names; an unknown one is taken for UTF-8."""
    return _text_codec(charset) or "utf-8"


def _text_codec(charset: str) -> str | None:
    """The codec a charset names; None when there is none, or it is no text encoding (base64,
    rot13, zlib: bytes-to-bytes or str-to-str codecs)."""
    try:
        info = codecs.lookup(charset)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        return None
    return info.name if info._is_text_encoding else None


def unreadable_headers(msg: Message, *, date_ok: bool) -> tuple[Unreadable, ...]:
    """What the loader could not use in the headers it reads, each named once.

    Found apart from the decoding, which never fails: it falls back (no date, a made-up
    id, UTF-8) and this says where it had to.
    """
    found: list[Unreadable] = []
    if not date_ok:
        value = _shown(_header(msg, "date"))
        found.append(Unreadable("Date", f"{value} is no date a datetime can hold; taken as absent"))
    for name in ("Message-ID", "In-Reply-To", "References"):
        values = _header_values(msg, name)
        if values and not _all_ids(values[0]):
            found.append(
                Unreadable(name, f"{_shown(values[0])} holds no message id; taken as absent")
            )
    for name in ("Subject", "From", "To", "Cc"):
        for value in _header_values(msg, name):
            found.extend(_word_problems(name, value))
    for part in msg.walk():
        charset = None if part.is_multipart() else part.get_content_charset()
        if charset and _text_codec(charset) is None:
            reason = f"{_shown(charset)} is no charset Python knows; the text read as UTF-8"
            found.append(Unreadable("Content-Type charset", reason))
    return tuple(dict.fromkeys(found))


def _word_problems(name: str, value: str) -> list[Unreadable]:
    try:
        words = decode_header(value)
    except HeaderParseError:
        return [Unreadable(name, "an encoded word that cannot be decoded; kept as sent")]
    return [
        Unreadable(
            name, f"encoded word in {_shown(charset)}, no charset Python knows; read as UTF-8"
        )
        for _, charset in words
        if charset and _text_codec(charset) is None
    ]


def _shown(value: str) -> str:
    """A header value quoted for a one-line message, cut short when long."""
    return repr(value if len(value) <= 60 else value[:60] + "...")


def parse_person(value: str) -> Person | None:
    """The first address of a From:-style value, its display name decoded (RFC 2047)."""
    people = _addresses(value)
    return people[0] if people else None


def _people(msg: Message, name: str) -> tuple[Person, ...]:
    return tuple(person for value in _header_values(msg, name) for person in _addresses(value))


@lru_cache(maxsize=1024)
def _addresses(value: str) -> tuple[Person, ...]:
    """People of one address header; cached, as a series repeats the same To:/Cc: lines."""
    # getaddresses before decoding, so a comma inside an encoded name cannot split it.
    return tuple(
        Person(decode_words(name), address.strip())
        for name, address in getaddresses([value])
        if address.strip()
    )


def _first_id(value: str) -> str | None:
    ids = _all_ids(value)
    return ids[0] if ids else None


def _all_ids(value: str) -> list[str]:
    """Message ids in a header: the <...> forms, or bare words when no brackets are used."""
    bracketed = _MSGID.findall(value)
    return bracketed if bracketed else [w for w in (w.strip("<>") for w in value.split()) if w]


def _synthetic_id(raw: bytes) -> str:
    return f"patchscope-{sha256_hex(raw)[:24]}@local"


def _iso_date(value: str) -> str | None:
    """ISO 8601 in UTC; None when the value is no date or one a datetime cannot hold (a year
    past 9999, an offset of days, a day count past any integer: email.utils then raises
    ValueError or OverflowError)."""
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:  # "-0000": the zone is unknown, the time is UTC
            when = when.replace(tzinfo=UTC)
        utc = when.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return utc.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _body(msg: Message) -> str:
    """The text/plain body with every patch-carrying part appended after it."""
    body: str | None = None
    patches: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        text = _part_text(part)
        if body is None and _is_inline_text(part):
            body = text
        elif part.get_content_type() in _PATCH_TYPES or DIFF_START.search(text):
            patches.append(text)
    return "".join(_with_newline(text) for text in [body or "", *patches] if text)


def _is_inline_text(part: Message) -> bool:
    disposition = (part.get("content-disposition") or "").split(";")[0].strip().lower()
    return part.get_content_type() == "text/plain" and disposition != "attachment"


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    text = _decode_bytes(data, part.get_content_charset())
    return text.replace("\r\n", "\n")


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
