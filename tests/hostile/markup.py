"""A hand-written thread whose every field a page or a spreadsheet might interpret is an attack:
markup, attribute breaks, javascript: URLs, CSS url()/expression(), spreadsheet formulas.

Scripts set window.__pwned and URLs point at evil.example, so a browser test can tell
whether anything ran or was fetched.
"""

from __future__ import annotations

from pathlib import Path

SCRIPT = "<script>window.__pwned=1</script>"
CSS = "</style><style>body{background:url(http://evil.example/x.png)}</style>"
EXPRESSION = 'x{width:expression(window.__pwned=1)} <b style="background:url(javascript:1)">'
JS_LINK = '<a href="javascript:window.__pwned=1">click</a>'
ATTRIBUTE = '" onmouseover="window.__pwned=1" x=\''
# Paths git writes unquoted: no space, quote, backslash or control character.
SVG_FILE = "mm/<svg/onload=window.__pwned=1>.c"
FORMULA_FILES = ("mm/=cmd.c", "+plus.c", "-minus.c", "@sum.c")
FORMULAS = ('=HYPERLINK("http://evil.example","x")', "@SUM(1+1)", "+1+2", "-2+3")


def _new_file(path: str, line: str) -> str:
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+{line}\n"
    )


def _mail(headers: dict[str, str], body: str) -> str:
    head = "".join(f"{key}: {value}\n" for key, value in headers.items())
    return f"From mboxrd@z Thu Jan  1 00:00:00 1970\n{head}\n{body}\n"


def hostile_thread(where: Path) -> Path:
    """Cover 0/2, two patches and a review with trailers, as one mbox."""
    files_1 = {SVG_FILE: f"int svg; /* {SCRIPT} {CSS} */"}
    files_2 = {path: f"int f{i};" for i, path in enumerate(FORMULA_FILES)}
    stat = "".join(f" {path} | 1 +\n" for path in [*files_1, *files_2])
    cover = _mail(
        {
            "From": f'"{ATTRIBUTE}" <cover@example.org>',
            "Subject": f"[PATCH 0/2] {CSS} {SCRIPT}",
            "Message-Id": "<h0@example.org>",
            "Date": "Mon, 04 Mar 2024 09:00:00 +0000",
        },
        f"{JS_LINK}\n{EXPRESSION}\n"
        f'Fixes: 31bc3858ea3e ("{SCRIPT}")\n\n'
        f"{stat} 5 files changed, 5 insertions(+)\n",
    )
    patches = []
    for number, (subject, files) in enumerate(
        [(f"{FORMULAS[0]} {ATTRIBUTE}", files_1), (FORMULAS[1], files_2)], start=1
    ):
        diff = "".join(_new_file(path, line) for path, line in files.items())
        patches.append(
            _mail(
                {
                    "From": f'"{FORMULAS[2]}" <p{number}@example.org>',
                    "Subject": f"[PATCH {number}/2] {subject}",
                    "Message-Id": f"<h{number}@example.org>",
                    "In-Reply-To": "<h0@example.org>",
                    "Date": f"Mon, 04 Mar 2024 09:00:0{number} +0000",
                },
                f"{EXPRESSION}\n\nSigned-off-by: {FORMULAS[2]} <p{number}@example.org>\n"
                f"---\n{diff}",
            )
        )
    review = _mail(
        {
            "From": "Rita Reviewer <rita@example.org>",
            "Subject": f"Re: [PATCH 2/2] {FORMULAS[1]}",
            "Message-Id": "<h3@example.org>",
            "In-Reply-To": "<h2@example.org>",
            "Date": "Tue, 05 Mar 2024 09:00:00 +0000",
        },
        f"Looks fine.\n\nReviewed-by: {FORMULAS[3]} {JS_LINK} <rita@example.org>\n",
    )
    mbox = where / "markup.mbox"
    mbox.write_text(cover + "".join(patches) + review)
    return mbox
