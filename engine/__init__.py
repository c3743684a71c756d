"""Opsbot engine: the domain behind the Slack bot (no Slack, no HTTP server, no templates)."""
