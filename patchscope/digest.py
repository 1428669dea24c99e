"""SHA-256 hex digests: fingerprints, synthetic message-ids, cache file names.

hashlib is imported on first use: it loads OpenSSL, milliseconds that a run making no
digest (a `stat` without findings) need not pay at start-up.
"""

from __future__ import annotations


def sha256_hex(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
