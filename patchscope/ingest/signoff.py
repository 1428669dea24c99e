"""Who signed a patch off, judged: its author must, and whoever sends it on signs last.

Whether two addresses are one person is the tree's `.mailmap`'s to say when a base tree
is given (`same`); without one, the same name at another address is only worth an info.
"""

from __future__ import annotations

from collections.abc import Callable

from patchscope.findings import Finding
from patchscope.ingest.mail import Person

SamePerson = Callable[[Person, Person], bool]
RULES = frozenset({"signoff-missing", "signoff-author", "signoff-order", "signoff-identity"})


def same_address(a: Person, b: Person) -> bool:
    return a.email.lower() == b.email.lower()


def _same_name(a: Person, b: Person) -> bool:
    return bool(a.name.strip()) and " ".join(a.name.casefold().split()) == " ".join(
        b.name.casefold().split()
    )


def signoff_findings(
    number: int,
    author: Person,
    sender: Person,
    signed: tuple[Person, ...],
    same: SamePerson | None = None,
) -> list[Finding]:
    """`same`: a tree's mailmap deciding identity; None judges by address, and by name apart."""
    if not signed:
        return [Finding("signoff-missing", "error", "no Signed-off-by", patch=number)]
    is_same = same or same_address
    out: list[Finding] = []
    if not any(is_same(author, p) for p in signed):
        namesake = None if same else next((p for p in signed if _same_name(author, p)), None)
        out.append(
            _identity(number, "author", author, namesake)
            if namesake
            else Finding(
                rule="signoff-author",
                severity="error",
                patch=number,
                message=f"author {_who(author)} did not sign off",
            )
        )
    last = signed[-1]
    told = any(f.rule == "signoff-identity" for f in out) and same_address(author, sender)
    if sender.email and not is_same(sender, last) and not told:
        out.append(
            _identity(number, "sender", sender, last)
            if same is None and _same_name(sender, last)
            else Finding(
                rule="signoff-order",
                severity="warning",
                patch=number,
                message=f"sender {_who(sender)} is not the last Signed-off-by "
                f"(last is {_who(last)})",
            )
        )
    return out


def _identity(number: int, role: str, person: Person, signer: Person) -> Finding:
    return Finding(
        rule="signoff-identity",
        severity="info",
        patch=number,
        message=(
            f"{role} {_who(person)} signs off as {_who(signer)}: the same name at another "
            "address, taken as one person (a --tree's .mailmap would decide)"
        ),
    )


def _who(p: Person) -> str:
    return f"{p.name} <{p.email}>"
