"""Plumbing shared by every feature: outbox, notices, scheduler, leases, replays, clock, bounds."""
