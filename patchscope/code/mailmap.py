"""Which addresses are one person, as a base tree's `.mailmap` says (gitmailmap(5)).

dulwich parses the file; the look-up is git's: an entry naming both the name and the
address used wins over one naming the address alone, and both compare case-insensitively.
(dulwich's own look-up also maps a bare name, which git does not.)
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from patchscope.ingest.mail import Person


@dataclass(frozen=True)
class Mailmap:
    # (name as used or "", address as used) -> canonical address, all casefolded
    entries: tuple[tuple[str, str, str], ...]

    def address(self, person: Person) -> str:
        email = person.email.casefold()
        table = {(name, used): canonical for name, used, canonical in self.entries}
        return table.get((person.name.casefold(), email)) or table.get(("", email)) or email

    def same(self, a: Person, b: Person) -> bool:
        return self.address(a) == self.address(b)


def read_mailmap(text: str) -> Mailmap:
    from dulwich.mailmap import read_mailmap as parse

    entries = []
    for (_, proper), used in parse(io.BytesIO(text.encode())):
        name, address = used or (None, None)
        if address is None:  # `Name <address>`: a name put right, no other address
            continue
        entries.append((_text(name), _text(address), _text(proper or address)))
    return Mailmap(tuple(entries))


def _text(value: bytes | None) -> str:
    return (value or b"").decode(errors="replace").casefold()
