"""Make step output safe to show: redact secrets and token-like strings, then truncate."""

from __future__ import annotations

import base64
import re
from typing import Iterable

MASK = "[REDACTED]"
_PATTERNS = [
    re.compile(r"xox[abposr]-[A-Za-z0-9-]{8,}"),                 # Slack tokens
    re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}"),                    # GitHub tokens
    re.compile(r"AKIA[0-9A-Z]{16}"),                              # AWS access key ids
    re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"),            # JWTs
    re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),   # Authorization values
    re.compile(r"(?i)\b([\w.-]*(?:password|passwd|secret|token|api[_-]?key)[\w.-]*)(\s*[=:]\s*)(\"?)[^\s\"',;]+"),
]


_MIN_SECRET = 4   # shorter values would mask ordinary words; the docs say so
_MIN_CORE = 8     # a shifted base64 core shorter than this would mask random text


def _b64_cores(raw: bytes) -> list[str]:
    # Inside a longer base64 stream (e.g. `Basic base64(user:secret)`) the secret starts at byte
    # offset 0, 1 or 2 of a 3-byte group; for each, keep only the characters its bits alone decide.
    cores = []
    for k in range(3):
        enc = base64.b64encode(b"\0" * k + raw).decode()
        first, last = -(-8 * k // 6), 8 * (k + len(raw)) // 6
        core = enc[first:last]
        if len(core) >= _MIN_CORE:
            cores.append(core)
    return cores


def encodings(secret: str) -> set[str]:
    """Return the secret and the encoded forms redaction masks: base64 (standard and URL-safe,
    padded and not, and the aligned cores inside longer base64 text) and hex (lower and upper)."""
    raw = secret.encode("utf-8")
    b64 = base64.b64encode(raw).decode()
    forms = {secret, raw.hex(), raw.hex().upper(), b64, b64.rstrip("=")}
    forms |= set(_b64_cores(raw))
    forms |= {f.replace("+", "-").replace("/", "_") for f in list(forms)}
    return {f for f in forms if f}


class Redactor:
    """Redacts configured secret values (and their base64/hex forms) and token-like strings."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {s for s in secrets if s and len(s) >= _MIN_SECRET}
        self.secrets = sorted(values, key=len, reverse=True)
        needles = sorted(set().union(*(encodings(s) for s in values)), key=len, reverse=True)
        # One alternation, longest first, in one pass: a secret containing another is masked
        # whole, and a mask never creates a new match.
        self._needles = re.compile("|".join(map(re.escape, needles))) if needles else None

    def redact(self, text: str) -> str:
        """Return text with secrets (and their encodings) masked."""
        if self._needles is not None:
            text = self._needles.sub(MASK, text)
        for pat in _PATTERNS:
            if pat.groups >= 3:
                text = pat.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{MASK}", text)
            else:
                text = pat.sub(MASK, text)
        return text


def truncate(text: str, limit: int = 3000) -> str:
    """Keep the head and tail of long output with a marker saying how much was cut."""
    if len(text) <= limit:
        return text
    head, tail = int(limit * 0.6), int(limit * 0.4)
    return f"{text[:head]}\n… [{len(text) - head - tail} characters cut] …\n{text[-tail:]}"
