"""Alert identity: the source's fingerprint verbatim, else a hash of the stable labels."""

from __future__ import annotations

import hashlib
from typing import Callable, Mapping


def sha256_hex(data: bytes) -> str:
    """Return the hex SHA-256 of data (the default injected hasher)."""
    return hashlib.sha256(data).hexdigest()


def fingerprint_of(labels: Mapping[str, str], volatile: frozenset[str],
                   hasher: Callable[[bytes], str] = sha256_hex) -> str:
    """Return a 16-hex fingerprint of labels, ignoring volatile ones (pod IPs, replicas)."""
    # \x00 and \x01 cannot appear in a JSON-decoded label without escaping, so
    # {"a": "b\x01c"} style collisions need a deliberate sender; the length prefix removes them.
    parts = []
    for k in sorted(labels):
        if k in volatile:
            continue
        v = labels[k]
        parts.append(f"{len(k)}:{k}\x00{len(v)}:{v}\x01")
    return hasher("".join(parts).encode())[:16]
