"""Replica identity: a configured name is a display name plus a per-process nonce."""

from __future__ import annotations

from datetime import datetime, timezone

from engine.core.replicas import LiveReplica, display_name, replica_identity, shared_names

T = datetime(2026, 12, 6, tzinfo=timezone.utc)


def test_configured_name_gets_a_nonce_per_process():
    a, b = replica_identity("opsbot-1"), replica_identity("opsbot-1")
    assert a != b and display_name(a) == display_name(b) == "opsbot-1"


def test_unconfigured_identity_is_its_own_display_name():
    a, b = replica_identity(None), replica_identity("  ")
    assert a != b and display_name(a) == a and display_name(b) == b


def test_a_display_name_may_contain_the_separator():
    ident = replica_identity("team#blue")
    assert display_name(ident) == "team#blue"


def test_shared_names_lists_only_names_held_by_two_live_processes():
    live = [LiveReplica(i, display_name(i), T) for i in ("a#1", "a#2", "b#1", "host-9f")]
    assert shared_names(live) == {"a": ["a#1", "a#2"]}
