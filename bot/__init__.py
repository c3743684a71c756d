"""Opsbot's Slack side: transport, rendering, notifier and the local workspace."""
