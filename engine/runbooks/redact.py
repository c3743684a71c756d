"""Make step output safe to show: redact secrets and token-like strings, then truncate."""

from __future__ import annotations

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


class Redactor:
    """Redacts configured secret values and token-like strings."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return text with secrets masked."""
        for s in self.secrets:
            text = text.replace(s, MASK)
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
