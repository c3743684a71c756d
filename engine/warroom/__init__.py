"""Incident channels: one Slack channel per big incident, with the card pinned and kept current."""
