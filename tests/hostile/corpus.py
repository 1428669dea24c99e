"""The hostile corpus: the small inputs are files in tests/fixtures/hostile/, the large
ones are written here at run time into the test's folder."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "hostile"

_DIFF = (
    "---\n"
    " mm/toy.c | 2 +-\n"
    " 1 file changed, 1 insertion(+), 1 deletion(-)\n"
    "\n"
    "diff --git a/mm/toy.c b/mm/toy.c\n"
    "index 1111111..2222222 100644\n"
    "--- a/mm/toy.c\n"
    "+++ b/mm/toy.c\n"
    "@@ -1,3 +1,3 @@\n"
    " int toy_count(int pages)\n"
    " {\n"
    "-\treturn pages;\n"
    "+\treturn pages * {added};\n"
    "-- \n"
    "2.39.5\n"
)


def toy_mail(subject: str, *, msgid: str = "toy@example.org", added: str = "2") -> str:
    """One well-formed patch mail changing one line of mm/toy.c; `added` is that line's tail."""
    return (
        "From: Kim Writer <kim@example.org>\n"
        f"Subject: {subject}\n"
        "Date: Mon, 04 Mar 2024 09:00:01 +0000\n"
        f"Message-Id: <{msgid}>\n"
        "\n"
        "Signed-off-by: Kim Writer <kim@example.org>\n" + _DIFF.replace("{added}", added)
    )


def write(where: Path, name: str, text: str | bytes) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    path = where / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def empty_folder(where: Path) -> Path:
    folder = where / "nothing"
    folder.mkdir()
    return folder


def long_line(where: Path, length: int) -> Path:
    """A patch whose added line is `length` bytes long ("+" included)."""
    return write(where, "long-line.patch", toy_mail("[PATCH] toy: long", added="x" * (length - 18)))


def soft_broken(where: Path, length: int) -> Path:
    """A quoted-printable patch mail of short lines whose soft breaks join `length` x's."""
    head, body = toy_mail("[PATCH] toy: soft").split("\n\n", 1)
    wire = "".join("x" * 75 + "=\n" for _ in range(length // 75)) + "x" * (length % 75)
    mime = "MIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n"
    return write(where, "soft.eml", f"{head}\n{mime}\n{wire}\n\n{body}")


def declared(where: Path, charset: str, codec: str) -> Path:
    """The toy patch mail, its body written in `codec` and declared as `charset`."""
    head, body = toy_mail("[PATCH] toy: wide").split("\n\n", 1)
    mime = f"MIME-Version: 1.0\nContent-Type: text/plain; charset={charset}\n"
    return write(where, f"{charset}-{codec}.eml", f"{head}\n{mime}\n".encode() + body.encode(codec))


def nested(where: Path, depth: int) -> Path:
    """A patch mail whose text part sits `depth` multipart levels down."""
    text = "Content-Type: text/plain\n\n" + toy_mail("x").split("\n\n", 1)[1]
    for level in range(depth):
        text = (
            f'Content-Type: multipart/mixed; boundary="b{level}"\n\n'
            f"--b{level}\n{text}\n--b{level}--\n"
        )
    head = "From: Kim Writer <kim@example.org>\nSubject: [PATCH] toy: deep\nMIME-Version: 1.0\n"
    return write(where, f"nested-{depth}.eml", head + text)


def all_first(where: Path, count: int) -> Path:
    """An mbox of `count` different mails, every one claiming to be [PATCH 1/3]."""
    mails = [
        "From mboxrd@z Thu Jan  1 00:00:00 1970\n"
        + toy_mail("[PATCH 1/3] toy: first", msgid=f"first-{i}@example.org", added=str(i))
        + "\n"
        for i in range(count)
    ]
    return write(where, "all-first.mbox", "".join(mails))


def manifest(where: Path, name: str, sources: list[str]) -> Path:
    listed = ", ".join(f'"{s}"' for s in sources)
    text = f'name = "{name}"\nmessage_id = "{name}@example.org"\nsources = [{listed}]\n'
    return write(where, f"{name}.toml", text)
