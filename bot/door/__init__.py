"""The door: what every inbound request must be before any handler sees it."""
