"""Audit anchors: `seq:hash` pairs published outside the database and checked by `verify`.

An anchor says "event SEQ had hash HASH". The chain makes every later event depend on it, so
if that event still carries that hash the history up to it is the history that was anchored;
growth after it passes, and any rewrite of it or before it fails.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from engine.audit.config import AuditConfig
from engine.core.bounds import SEQ_MAX, parse_int
from engine.core.clock import Clock
from engine.errors import InvalidInput
from engine.core.notices import MessageData, Notice

log = logging.getLogger("opsbot.audit")
# `seq:hash` anywhere in a line: the anchor file, a log line, a pasted Slack message.
_PAIR = re.compile(r"\b([0-9]{1,19}):([0-9a-f]{64})\b")
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Anchor:
    """One published head: event `seq` had hash `hash` (seq None: some event had that hash)."""

    seq: int | None
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}" if self.seq is not None else self.hash


def parse_anchor(text: str) -> Anchor:
    """Read `SEQ:HASH` (or a bare 64-hex HASH, kept for anchors recorded before seq was shown)."""
    value = text.strip().lower()
    if _HASH.fullmatch(value):
        return Anchor(None, value)
    seq, sep, digest = value.partition(":")
    if not sep or not _HASH.fullmatch(digest):
        raise InvalidInput(f"anchor {text.strip()[:80]!r} is not SEQ:HASH",
                           hint="e.g. 42:<64 hex digits>, as `opsbot audit verify` prints the head")
    return Anchor(parse_int(seq, "anchor sequence number", lo=0, hi=SEQ_MAX), digest)


def read_anchors(path: Path) -> list[Anchor]:
    """Return every `seq:hash` found in a file (anchor file, log export, pasted messages)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InvalidInput(f"cannot read anchor file {path}: {exc.strerror}") from None
    found = [Anchor(int(m[1]), m[2]) for m in _PAIR.finditer(text)]
    if not found:
        raise InvalidInput(f"anchor file {path} holds no SEQ:HASH anchors",
                           hint="point at the file audit.anchor_file names, or a log with `audit anchor` lines")
    return found


class AnchorMessage(MessageData):
    """The audit chain's head as posted to audit.anchor_channel."""

    TEMPLATE = "admin/audit_anchor"

    seq: int
    hash: str
    at: str


def anchor_line(seq: int, digest: str, at: str) -> str:
    """Return one anchor file line (JSON with the pair spelled out, so grep finds it too)."""
    return json.dumps({"anchor": f"{seq}:{digest}", "seq": seq, "hash": digest, "at": at}) + "\n"


class AnchorPublisher:
    """The periodic job that publishes the chain head when it moved: log, file, Slack channel."""

    def __init__(self, audit: Any, cfg: AuditConfig, clock: Clock, notify: Any, base_dir: Path) -> None:
        self.audit, self.cfg, self.clock, self.notify = audit, cfg, clock, notify
        self.file = (base_dir / cfg.anchor_file) if cfg.anchor_file else None
        self.last: Anchor | None = None

    def _last_in_file(self) -> Anchor | None:
        if self.file is None or not self.file.exists():
            return None
        with self.file.open("rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - 4096))
            pairs = _PAIR.findall(fh.read().decode("utf-8", "replace"))
        return Anchor(int(pairs[-1][0]), pairs[-1][1]) if pairs else None

    async def publish(self, _now: Any = None) -> Anchor | None:
        """Publish the head if it moved since the last anchor; return the new anchor, if any."""
        if self.last is None:
            self.last = self._last_in_file()
        seq, digest = await self.audit.head()
        if seq == 0 or (self.last is not None and self.last.seq == seq and self.last.hash == digest):
            return None
        if self.last is not None and not await self.audit.still_holds(self.last):
            # Do not bless a rewritten chain with a new anchor: the old one stays the evidence.
            log.error("audit chain no longer holds anchor %s: the chain was rewritten; run "
                      "`opsbot audit verify --anchors` and investigate", self.last)
            return None
        anchor, at = Anchor(seq, digest), self.clock.now().isoformat(timespec="seconds")
        log.info("audit anchor %s at %s", anchor, at)
        if self.file is not None:
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
                with self.file.open("a", encoding="utf-8") as fh:
                    fh.write(anchor_line(seq, digest, at))
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:  # said plainly; the log line above and the channel still anchor
                log.error("cannot append to audit.anchor_file %s: %s", self.file, exc.strerror or exc)
        if self.cfg.anchor_channel:
            await self.notify(Notice.of(AnchorMessage(seq=seq, hash=digest, at=at), key=f"audit-anchor:{seq}",
                                        channel=self.cfg.anchor_channel))
        self.last = anchor
        return anchor


def check_anchors(anchors: Iterable[Anchor], by_seq: dict[int, str], hashes: set[str] | None,
                  head_seq: int) -> tuple[int | None, str]:
    """Return (seq, problem) for the first anchor the walked chain does not hold, else (None, "")."""
    for a in anchors:
        if a.seq is None:
            if hashes is not None and a.hash not in hashes:
                return None, f"no event has the anchored hash {a.hash} (the chain was rewritten)"
            continue
        if a.seq == 0:
            continue  # the empty chain: everything grows from it
        if a.seq > head_seq:
            return a.seq, (f"anchored event seq {a.seq} is gone: the chain ends at seq {head_seq} "
                           "(events were deleted, or the whole chain was rewritten shorter)")
        if by_seq.get(a.seq) != a.hash:
            return a.seq, (f"event seq {a.seq} has hash {by_seq.get(a.seq)} but was anchored as {a.hash} "
                           "(the chain was rewritten at or before this event)")
    return None, ""
