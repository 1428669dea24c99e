"""Hypothesis strategies that break real mails and diffs the way lists and mailers do.

Every input starts from a real text: a message of the reference thread, of the toy
thread under tests/fixtures/sources/, the odd-headers mail, the bare diff, or a C file
of tests/fixtures/code/ sent as a new file. A few mutations are then drawn and applied
in order: headers dropped, doubled or garbled, the body re-encoded or spiked with bad
bytes, hunk headers miscounted, diff lines dropped or doubled, a/ b/ prefixes lost,
subjects renumbered. Shrinking removes mutations, so a failure ends as the seed and the
one or two changes that break it.
"""

from __future__ import annotations

import base64
import quopri
import re
from collections.abc import Callable, Sequence
from functools import partial

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.conftest import REFERENCE_MBOX, ROOT

FIXTURES = ROOT / "tests" / "fixtures"

# Fixed seed, no example database, no deadline: the same examples on every run and machine.
FUZZ = settings(
    max_examples=2500,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Mutation = Callable[[bytes], bytes]

_FROM_LINE = re.compile(rb"\n(?=From \S+ [^\n]*\d\d:\d\d)")
_HUNK_HEADER = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
_SUBJECT_BRACKET = re.compile(rb"^(Subject:[ \t]*(?:Re:[ \t]*)*)\[[^\]\n]*\]", re.MULTILINE | re.I)
_DIFF_LINE = re.compile(rb"^[ +-](?!--|\+\+)[^\n]*\n", re.MULTILINE)


def _messages(mbox: bytes) -> tuple[bytes, ...]:
    """An mbox cut before each From_ line; each message keeps its own From_ line."""
    return tuple(m if m.endswith(b"\n") else m + b"\n" for m in _FROM_LINE.split(mbox))


def _diff_of(message: bytes) -> bytes | None:
    """The diff a message carries, from its first 'diff --git' on; None without one."""
    at = message.find(b"\ndiff --git ")
    return message[at + 1 :] if at >= 0 else None


def _new_file_diff(path: str, text: str) -> bytes:
    """A C file sent as a new file, as git format-patch writes one."""
    lines = text.splitlines()
    head = f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
    head += f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n"
    return (head + "".join(f"+{line}\n" for line in lines)).encode()


def _file_blocks(diff: bytes) -> list[bytes]:
    """One diff cut into its files."""
    return [b"diff --git " + block for block in diff.split(b"diff --git ")[1:]]


THREADS: tuple[tuple[bytes, ...], ...] = (
    _messages(REFERENCE_MBOX.read_bytes()),
    _messages((FIXTURES / "sources" / "thread.mbox").read_bytes()),
)
# The mail forms real archives hold (tests/ingest/test_mail_forms.py): seeds of the loader
# and of the batch's threading, not of the diff targets.
FORM_THREADS: tuple[tuple[bytes, ...], ...] = tuple(
    _messages(path.read_bytes()) for path in sorted((FIXTURES / "mail" / "forms").glob("*.mbox"))
)
SEED_MAILS: tuple[bytes, ...] = (
    *(m for thread in (*THREADS, *FORM_THREADS) for m in thread),
    (FIXTURES / "mail" / "odd-headers.eml").read_bytes(),
    (FIXTURES / "sources" / "bare.diff").read_bytes(),
)
# Each thread's patch diffs in series order.
SERIES_DIFFS: tuple[tuple[bytes, ...], ...] = tuple(
    tuple(d for d in map(_diff_of, thread) if d is not None) for thread in THREADS
)


def _file_chains(series: Sequence[bytes]) -> list[tuple[bytes, ...]]:
    """Per file, its diff in every patch that touches it, in series order."""
    chains: dict[bytes, list[bytes]] = {}
    for diff in series:
        for block in _file_blocks(diff):
            chains.setdefault(block.split(b"\n", 1)[0], []).append(block)
    return [tuple(chain) for chain in chains.values()]


# What the composer replays: one file through the patches of a real series that edit it,
# small enough that git's own count (a process per example) stays the main cost.
FILE_CHAINS: tuple[tuple[bytes, ...], ...] = tuple(
    chain for series in SERIES_DIFFS for chain in _file_chains(series)
)
C_FILES: tuple[bytes, ...] = tuple(
    _new_file_diff(f"mm/{p.name}", p.read_text())
    for p in sorted((FIXTURES / "code").glob("*.[ch]"))
)
# Single files of the real patches, and whole new C files: what the fact extractor reads.
FILE_DIFFS: tuple[bytes, ...] = (
    *(block for series in SERIES_DIFFS for d in series for block in _file_blocks(d)),
    *C_FILES,
)

# --- values a hostile or broken sender puts where text is expected --------------------

HEADER_NAMES = (
    "From", "To", "Cc", "Subject", "Message-Id", "In-Reply-To", "References", "Date",
    "Content-Transfer-Encoding",
)  # fmt: skip
CHARSETS = (
    "utf-8", "us-ascii", "iso-8859-1", "iso-8859-15", "cp1252", "koi8-r", "shift_jis",
    "big5", "utf-16", "utf-32", "utf-7", "unknown-8bit", "x-no-such-charset", "rot13",
    "base64", "hex", "zlib", "idna", "punycode", "", '"', "utf-8''",
)  # fmt: skip
_ODD_VALUES = (
    "", " ", "<>", "<<a@b>>", "<a@b", "a@b>", "<a b@c>", '"Doe, Jane" <', "@", "<@>",
    "=?utf-8?q?=5BPATCH=5D?=", "=?unknown-8bit?q?caf=E9?=", "=?utf-8?b?!!!?=", "=?utf-8?b?a?=",
    "=?utf-8?b?w4lsaXNl?=", "=?rot13?q?x?=", "=?idna?q?=FF?=", "=?utf-7?q?+AGE-?=",
    "=?utf-16?b?//4A?=", "=?x?q?", "=??q??=", "=?utf-8?z?abc?=", "=?utf-8*fr?q?x?=",
    "base64", "quoted-printable", "x-uuencode", "7bit", "8bit", "binary", "bogus",
    "text/plain; charset=\"utf-8", "text/plain; charset*=utf-8''%ff%fe",
    "<a@b> <>", "< >", "<\udcff@x>",
    "multipart/mixed", "multipart/mixed; boundary=", 'multipart/mixed; boundary="b"',
    "message/rfc822", "text/x-patch", "\\", "(comment", "\t\t",
)  # fmt: skip
_BAD_BYTES = (
    b"\xff",
    b"\x80",
    b"\x00",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\r",
    b"\x1b[2J",
    b"\xef\xbb\xbf",
)


# Dates at and past what a datetime holds: years past 9999, offsets of days, day and hour
# counts past any machine integer, and their neighbours that still fit.
_BIG = (2**31, 2**63, 10**20)
limit_dates: st.SearchStrategy[str] = st.builds(
    "{}, {} Mar {} {}:00:00 {}".format,
    st.sampled_from(("Mon", "Xyz", "")),
    st.sampled_from((0, 1, 31, 32, *_BIG)),
    st.sampled_from((1, 99, 1969, 9999, 10000, 99999, *_BIG)),
    st.sampled_from((0, 23, 24, *_BIG)),
    st.sampled_from(("+0000", "-0000", "-0001", "+2359", "-2400", "+9999", "+9999999999", "GMT")),
)

header_values: st.SearchStrategy[bytes] = st.one_of(
    st.sampled_from(_ODD_VALUES).map(lambda v: v.encode("utf-8", "surrogateescape")),
    limit_dates.map(str.encode),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b" ")),
    st.integers(200, 3000).map(lambda n: b"x" * n),
)
# Where something lands: reduced modulo the text's length, so any seed fits.
_positions = st.integers(0, 1 << 20)


# --- header mutations ------------------------------------------------------------------


def _header_pattern(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"^" + re.escape(name) + rb":[^\n]*\n(?:[ \t][^\n]*\n)*", re.M | re.I)


def _split_head(mail: bytes) -> tuple[bytes, bytes]:
    """The header lines (each ending in LF) and the body after the blank line."""
    cut = mail.find(b"\n\n")
    return (
        (mail if mail.endswith(b"\n") else mail + b"\n", b"")
        if cut < 0
        else (
            mail[: cut + 1],
            mail[cut + 2 :],
        )
    )


def _join(head: bytes, body: bytes) -> bytes:
    return head + b"\n" + body


def drop_header(name: bytes, mail: bytes) -> bytes:
    head, body = _split_head(mail)
    return _join(_header_pattern(name).sub(b"", head), body)


def add_header(name: bytes, value: bytes, mail: bytes) -> bytes:
    """A second header of that name after the first (or the only one, at the end)."""
    head, body = _split_head(mail)
    match = _header_pattern(name).search(head)
    at = match.end() if match else len(head)
    return _join(head[:at] + name + b": " + value + b"\n" + head[at:], body)


def set_header(name: bytes, value: bytes, mail: bytes) -> bytes:
    return add_header(name, value, drop_header(name, mail))


def set_charset(charset: bytes, mail: bytes) -> bytes:
    return set_header(b"Content-Type", b"text/plain; charset=" + charset, mail)


_names = st.sampled_from(HEADER_NAMES).map(str.encode)
header_mutations: st.SearchStrategy[Mutation] = st.one_of(
    st.builds(partial, st.just(drop_header), _names),
    st.builds(partial, st.just(add_header), _names, header_values),
    st.builds(partial, st.just(set_header), _names, header_values),
    st.builds(partial, st.just(set_charset), st.sampled_from(CHARSETS).map(str.encode)),
)

# --- encodings -------------------------------------------------------------------------


def _encoded(
    encoding: bytes, encode: Callable[[bytes], bytes], declare: bool, mail: bytes
) -> bytes:
    head, body = _split_head(mail)
    mail = _join(head, encode(body))
    return set_header(b"Content-Transfer-Encoding", encoding, mail) if declare else mail


def quoted_printable(declare: bool, mail: bytes) -> bytes:
    return _encoded(b"quoted-printable", quopri.encodestring, declare, mail)


def base64_body(declare: bool, keep: int, mail: bytes) -> bytes:
    """The body in base64, cut to `keep` of every 1000 bytes (truncated downloads)."""

    def encode(body: bytes) -> bytes:
        encoded = base64.encodebytes(body)
        return encoded[: len(encoded) * keep // 1000]

    return _encoded(b"base64", encode, declare, mail)


def insert_bytes(junk: bytes, where: int, mail: bytes) -> bytes:
    at = where % (len(mail) + 1)
    return mail[:at] + junk + mail[at:]


def crlf(body_only: bool, mail: bytes) -> bytes:
    if not body_only:
        return mail.replace(b"\n", b"\r\n")
    head, body = _split_head(mail)
    return _join(head, body.replace(b"\n", b"\r\n"))


def multipart(depth: int, mail: bytes) -> bytes:
    """The body as a text/x-patch attachment, nested `depth` multiparts deep."""
    head, body = _split_head(mail)
    head = drop_header(b"Content-Transfer-Encoding", drop_header(b"Content-Type", head))
    for level in range(depth):
        boundary = b"b%d" % level
        body = (
            b"--" + boundary + b"\nContent-Type: text/x-patch; charset=utf-8\n"
            b"Content-Disposition: attachment\n" + body + b"\n--" + boundary + b"--\n"
        )
        if level + 1 < depth:
            body = b"Content-Type: multipart/mixed; boundary=" + boundary + b"\n" + body
    return _join(head + b"Content-Type: multipart/mixed; boundary=b%d\n" % (depth - 1), body)


encoding_mutations: st.SearchStrategy[Mutation] = st.one_of(
    st.builds(partial, st.just(quoted_printable), st.booleans()),
    st.builds(partial, st.just(base64_body), st.booleans(), st.integers(0, 1000)),
    st.builds(
        partial,
        st.just(insert_bytes),
        st.sampled_from(_BAD_BYTES) | st.binary(min_size=1, max_size=8),
        _positions,
    ),
    st.builds(partial, st.just(crlf), st.booleans()),
    st.builds(partial, st.just(multipart), st.integers(1, 12)),
)

# --- diff mutations --------------------------------------------------------------------

_ODD_COUNTS = (b"-1", b"0", b"2147483648", b"18446744073709551616", b"1" * 40, b"", b"x", b"+1")


def hunk_number(which: int, field: int, value: bytes | int, text: bytes) -> bytes:
    """One number of one hunk header changed: by `value` when an int, else replaced."""
    matches = list(_HUNK_HEADER.finditer(text))
    if not matches:
        return text
    match = matches[which % len(matches)]
    group = field % 4 + 1
    if match.group(group) is None:  # an omitted count (",1" left out) is there to change too
        group = 1
    start, end = match.span(group)
    number = match.group(group)
    new = str(int(number) + value).encode() if isinstance(value, int) else value
    return text[:start] + new + text[end:]


def hunk_header(which: int, replacement: bytes, text: bytes) -> bytes:
    matches = list(_HUNK_HEADER.finditer(text))
    if not matches:
        return text
    match = matches[which % len(matches)]
    return text[: match.start()] + replacement + text[match.end() :]


def diff_line(which: int, action: str, text: bytes) -> bytes:
    """One body line of a hunk dropped, doubled, or given another leading character."""
    matches = list(_DIFF_LINE.finditer(text))
    if not matches:
        return text
    match = matches[which % len(matches)]
    line = match.group(0)
    new = {
        "drop": b"",
        "double": line + line,
        "blank": b"\n",
        "context": b" " + line[1:],
        "add": b"+" + line[1:],
        "remove": b"-" + line[1:],
        "marker": line + b"\\ No newline at end of file\n",
    }[action]
    return text[: match.start()] + new + text[match.end() :]


def truncate(keep: int, text: bytes) -> bytes:
    """Cut at `keep` of every 1000 bytes: a download or a paste that stopped short."""
    return text[: len(text) * keep // 1000]


_PREFIX_EDITS = (
    (rb"^--- a/", b"--- "),
    (rb"^\+\+\+ b/", b"+++ "),
    (rb"^--- a/[^\n]*", b"--- /dev/null"),
    (rb"^\+\+\+ b/[^\n]*", b"+++ /dev/null"),
    (rb"^diff --git a/(\S+) b/", rb"diff --git \1 "),
    (rb"^(\+\+\+|---) [ab]/", rb"\1 ../../"),
    (rb"^(\+\+\+|---) [ab]/", rb"\1 /etc/"),
    (rb"^(\+\+\+ b/|--- a/)[^\n]*", rb'\1"we\\303\\251ird\\n\\"name\\".c"'),
    (rb"^(\+\+\+ b/|--- a/)[^\n]*", rb"\1"),
    (rb"^index [0-9a-f]+\.\.[0-9a-f]+", b"index zz..0000000"),
    (rb"^(diff --git [^\n]*\n)", rb"\1rename from x.c\nrename to y.c\n"),
    (rb"^(diff --git [^\n]*\n)", rb"\1old mode 100644\nnew mode 100755\n"),
    (rb"^(diff --git [^\n]*\n)", rb"\1deleted file mode 100644\n"),
    (rb"^@@[^\n]*\n", b"GIT binary patch\nliteral 0\nHcmV?d00001\n\n"),
)


def diff_prefix(edit: int, which: int, text: bytes) -> bytes:
    """One of git's file header lines rewritten: prefixes lost, /dev/null, climbing paths."""
    pattern, replacement = _PREFIX_EDITS[edit % len(_PREFIX_EDITS)]
    matches = list(re.finditer(pattern, text, re.MULTILINE))
    if not matches:
        return text
    match = matches[which % len(matches)]
    return text[: match.start()] + match.expand(replacement) + text[match.end() :]


_ODD_HUNK_HEADERS = (
    b"@@ -1 +1 @@", b"@@@ -1,2 -1,2 +1,3 @@@", b"@@ -1,2 +1,3", b"@@", b"@@ -,3 +,3 @@",
    b"@@ -0,0 +0,0 @@", b"@@ -99999999999999999999,1 +1,1 @@", b"@@ -1,1 +1,1 @@ @@ -2 +2 @@",
)  # fmt: skip
_numbers = st.integers(-2, 2) | st.sampled_from(_ODD_COUNTS)
diff_mutations: st.SearchStrategy[Mutation] = st.one_of(
    st.builds(partial, st.just(hunk_number), _positions, st.integers(0, 3), _numbers),
    st.builds(partial, st.just(hunk_header), _positions, st.sampled_from(_ODD_HUNK_HEADERS)),
    st.builds(
        partial,
        st.just(diff_line),
        _positions,
        st.sampled_from(("drop", "double", "blank", "context", "add", "remove", "marker")),
    ),
    st.builds(partial, st.just(truncate), st.integers(0, 1000)),
    st.builds(partial, st.just(diff_prefix), st.integers(0, len(_PREFIX_EDITS) - 1), _positions),
    st.builds(partial, st.just(insert_bytes), st.sampled_from(_BAD_BYTES), _positions),
    st.builds(partial, st.just(crlf), st.just(False)),
)

# --- subjects --------------------------------------------------------------------------

_counts = st.one_of(
    st.integers(0, 12).map(str),
    st.sampled_from(("007", "999999999999", "1" * 30, "-1", "", "\uff101", "\u0663", "1.5", "x")),
    # a signed 64-bit integer's last value, the first past it, more digits than int() takes
    st.sampled_from((str(2**63 - 1), str(2**63), "9" * 5000)),
)
_words = st.lists(
    st.sampled_from(("PATCH", "RFC", "RESEND", "net-next", "PATCH-v2", "v", "vv2", "v0", "V3")),
    max_size=3,
).map(" ".join)
_brackets = st.one_of(
    st.builds(
        lambda words, version, n, m: f"[{words} v{version} {n}/{m}]",
        _words,
        _counts,
        _counts,
        _counts,
    ),
    st.sampled_from(
        (
            "[PATCH",
            "]]",
            "[[PATCH 1/2]]",
            "[PATCH 1/2][PATCH 2/2]",
            "[PATCH 1/2/3]",
            "[PATCH ½]",
            "Re: Re: [PATCH 1/2]",
            "[]",
            "[PATCH 0/0]",
            "Fwd: [PATCH v2 2/1]",
            "[PATCH 0 of 2]",
            "[PATCH 2 OF 2]",
            "[PATCH 1 of 99999999999999999999]",
            "[PATCH]",
            "",
        )
    ),
)


def subject_bracket(bracket: bytes, mail: bytes) -> bytes:
    """The [PATCH ...] of the Subject replaced (or put in front when there is none)."""
    if _SUBJECT_BRACKET.search(mail):
        return _SUBJECT_BRACKET.sub(lambda m: m.group(1) + bracket, mail, count=1)
    return re.sub(
        rb"^(Subject:[ \t]*)", lambda m: m.group(1) + bracket + b" ", mail, count=1, flags=re.M
    )


subject_mutations: st.SearchStrategy[Mutation] = st.builds(
    partial, st.just(subject_bracket), _brackets.map(lambda s: s.encode())
)

mail_mutations = st.one_of(header_mutations, encoding_mutations, diff_mutations, subject_mutations)

# --- threads: the same series sent again, a version on the cover only -------------------

ThreadMutation = Callable[[Sequence[bytes]], list[bytes]]
_MESSAGE_ID = re.compile(rb"^Message-Id:[ \t]*<([^>\n]+)>", re.MULTILINE | re.IGNORECASE)
_NUMBERED_BRACKET = re.compile(rb"^(Subject:[ \t]*)\[([^\]\n]*?)(\d+)/(\d+)\]", re.M | re.I)


def repost(in_reply: bool, messages: Sequence[bytes]) -> list[bytes]:
    """The messages sent once more without a version bump: the same mails under new ids (every
    id they name renamed alike), as a new thread or answering the first posting's first mail."""
    ids = [m.group(1) for message in messages for m in _MESSAGE_ID.finditer(message)]
    again = []
    for message in messages:
        for mid in ids:
            message = message.replace(b"<" + mid + b">", b"<again." + mid + b">")
        again.append(message)
    if in_reply and ids:
        again[0] = set_header(b"In-Reply-To", b"<" + ids[0] + b">", again[0])
    return [*messages, *again]


def version_on_cover_only(version: int, messages: Sequence[bytes]) -> list[bytes]:
    """`git format-patch` given -vN for the cover alone: the 0/M gets vN, the patches none."""

    def bracket(m: re.Match[bytes]) -> bytes:
        words = re.sub(rb"\bv\d+\b", b"", m[2])
        if m[3] == b"0":
            words += b"v%d " % version
        return m[1] + b"[" + words + m[3] + b"/" + m[4] + b"]"

    return [_NUMBERED_BRACKET.sub(bracket, message, count=1) for message in messages]


thread_mutations: st.SearchStrategy[ThreadMutation] = st.one_of(
    st.builds(partial, st.just(repost), st.booleans()),
    st.builds(partial, st.just(version_on_cover_only), st.sampled_from((2, 3, 2**63))),
)


def _apply(seed: bytes, mutations: Sequence[Mutation]) -> bytes:
    for mutate in mutations:
        seed = mutate(seed)
    return seed


def mutated(
    seeds: Sequence[bytes], mutations: st.SearchStrategy[Mutation], most: int = 4
) -> st.SearchStrategy[bytes]:
    """A seed with one to `most` mutations applied in order."""
    return st.builds(_apply, st.sampled_from(seeds), st.lists(mutations, min_size=1, max_size=most))


# Strategies built once: a composite that builds one per draw spends its time on that.
_threads = st.sampled_from((*THREADS, *FORM_THREADS))
_chains = st.sampled_from(FILE_CHAINS)
_picks = st.integers(0, 1 << 16)
_mail_edits = st.lists(mail_mutations, min_size=1, max_size=3)
_diff_edits = st.lists(diff_mutations, min_size=1, max_size=3)


@st.composite
def mutated_threads(draw: st.DrawFn) -> bytes:
    """A run of up to four consecutive messages of one thread, some mutated, the run perhaps
    sent again or given a version on its cover only, as one mbox."""
    thread = draw(_threads)
    first = draw(_picks) % len(thread)
    last = min(first + draw(_picks) % 4, len(thread) - 1)
    messages = []
    for message in thread[first : last + 1]:
        if draw(st.booleans()):
            message = _apply(message, draw(_mail_edits))
        messages.append(message if message.endswith(b"\n") else message + b"\n")
    if draw(st.booleans()):
        messages = draw(thread_mutations)(messages)
    return b"\n".join(messages)


mutated_mails = mutated(SEED_MAILS, mail_mutations) | mutated_threads()
mutated_file_diffs = mutated(FILE_DIFFS, diff_mutations)


@st.composite
def mutated_series(draw: st.DrawFn) -> list[bytes]:
    """One file through the first patches of a real series, one or two of them mutated."""
    chain = draw(_chains)
    diffs = list(chain[: 1 + draw(_picks) % len(chain)])
    for _ in range(1 + draw(_picks) % 2):
        k = draw(_picks) % len(diffs)
        diffs[k] = _apply(diffs[k], draw(_diff_edits))
    return diffs


# --- C text ----------------------------------------------------------------------------

_C_TOKENS = (
    "{", "}", "(", ")", "/*", "*/", "//", '"', "'", "\\", "#if X", "#ifdef CONFIG_X",
    "#else", "#endif", "#define M(x", "#define", "struct {", "struct s {", "};", ";",
    "static", "int f(", "->", "= fn;", ".init = fn,", "__attribute__((x))", "\x00",
    "é", "??/", "#include <", "return", "sizeof(", "[", "]", "typedef", "enum {",
)  # fmt: skip


def c_token(token: bytes, where: int, text: bytes) -> bytes:
    """A C token put into a hunk line, at the line's start or end."""
    matches = list(_DIFF_LINE.finditer(text))
    if not matches:
        return text
    match = matches[where % len(matches)]
    line = match.group(0)
    new = line[:1] + token + line[1:] if where & 1 else line[:-1] + token + b"\n"
    return text[: match.start()] + new + text[match.end() :]


code_mutations = st.one_of(
    diff_mutations,
    st.builds(partial, st.just(c_token), st.sampled_from(_C_TOKENS).map(str.encode), _positions),
)
mutated_c_diffs = mutated(FILE_DIFFS, code_mutations, most=6)

# --- strings a report prints -----------------------------------------------------------

PAYLOADS = (
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)",
    "javascript:alert(1)", "</style><style>body{background:url(//x)}</style>",
    "<!--", "-->", "]]>", "<svg onload=alert(1)>", "&amp;", "&#60;script&#62;", "{{ 7*7 }}",
    "</textarea>", "<a href=\"javascript:x\">", "expression(alert(1))", "\u202e", "\x00",
    "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\tx", "\rx",
)  # fmt: skip
hostile_strings: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(PAYLOADS),
    st.lists(st.sampled_from(PAYLOADS) | st.text(max_size=8), min_size=1, max_size=4).map("".join),
)
