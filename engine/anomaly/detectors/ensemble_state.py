"""The ensemble detector's persisted state: how its members' arrays and its flat view are written.

Watches store EnsembleDetector.to_state() snapshots, so the keys, their order and the array
encoding are a format: a change needs a reader for what is already stored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.anomaly.detectors.blocks import BlockState
from engine.anomaly.detectors.ensemble_views import MEMBERS
from engine.anomaly.detectors.record import _dec, _enc
from engine.anomaly.detectors.robust import State
from engine.anomaly.detectors.spread import SpreadState


def encode_members(s: State) -> dict[str, Any]:
    """Return the members' shared robust state as the snapshot's keys, in their stored order."""
    return {
        "raw": _enc(s.raw),
        "lev": _enc(s.lev),
        "chans": [{"partial": _enc(c.partial), "stats": _enc(c.stats)} for c in s.chans],
        "dev_tail": _enc(s.dev_tail),
        "record": _enc(s.record),
        "refractory": _enc(s.refractory),
        "seen": int(s.seen),
        "bounds": _enc(s.bounds if s.bounds is not None else np.full((2, MEMBERS), np.nan)),
        "range_record": None if s.range_record is None else _enc(s.range_record),
    }


def decode_members(state: dict[str, Any]) -> State:
    """Return the members' robust state from a snapshot written with encode_members."""
    return State(
        _dec(state["raw"]), _dec(state["lev"]),
        [BlockState(_dec(c["partial"]), _dec(c["stats"])) for c in state["chans"]],
        _dec(state["dev_tail"]), _dec(state["record"]), _dec(state["refractory"]),
        int(state["seen"]), _dec(state["bounds"]),
        None if state.get("range_record") is None else _dec(state["range_record"]),
    )


def encode_flat(flat: SpreadState | None) -> dict[str, Any] | None:
    """Return the flatline view's state for a snapshot, None without the view."""
    return None if flat is None else {
        "partial": _enc(flat.partial), "past": _enc(flat.past), "record": _enc(flat.record),
        "closed": flat.closed, "last": None if flat.last is None else _enc(flat.last),
    }


def decode_flat(flat: dict[str, Any]) -> SpreadState:
    """Return the flatline view's state written by encode_flat."""
    return SpreadState(_dec(flat["partial"]), _dec(flat["past"]), _dec(flat["record"]), int(flat["closed"]),
                       None if flat["last"] is None else _dec(flat["last"]))
