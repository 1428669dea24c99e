"""Write the seed corpus of every target under fuzz/corpus/TARGET/ from the test seeds.

The seeds are the ones the hypothesis strategies start from (tests/fuzz/strategies.py):
the reference thread's messages, the fixtures' mails, threads and diffs, C files as new files.
Each file is named by its content's hash, so a rerun writes the same files.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path

from tests.fuzz.strategies import (
    FILE_CHAINS,
    FILE_DIFFS,
    FORM_THREADS,
    PAYLOADS,
    SEED_MAILS,
    SERIES_DIFFS,
    THREADS,
)

CORPUS = Path(__file__).resolve().parent / "corpus"
# How one input carries several diffs (compose) or strings (report): seeds are joined
# with these, so the fuzzer's mutations mostly keep them.
PATCH_SEPARATOR = b"\n-- >8 next patch 8< --\n"
STRING_SEPARATOR = b"\0"


def seeds() -> dict[str, list[bytes]]:
    payloads = [p.encode() for p in PAYLOADS]
    threads = [b"\n".join(thread) for thread in (*THREADS, *FORM_THREADS)]
    return {
        "loader": [*SEED_MAILS, *threads],
        "batch": threads,
        "compose": [PATCH_SEPARATOR.join(c) for c in (*FILE_CHAINS, *SERIES_DIFFS)],
        "facts": list(FILE_DIFFS),
        "report": [STRING_SEPARATOR.join(payloads[i::5]) for i in range(5)],
        "csv": payloads,
    }


def write(folder: Path, inputs: Iterable[bytes]) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for data in inputs:
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
        count += 1
    return count


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    for target, inputs in seeds().items():
        print(f"{root / target}: {write(root / target, inputs)} seeds")


if __name__ == "__main__":
    main()
