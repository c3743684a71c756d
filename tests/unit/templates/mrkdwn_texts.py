"""What Slack parses as mrkdwn in a message: its top-level text and every mrkdwn text object."""

from __future__ import annotations

from typing import Any


def mrkdwn_texts(message: dict) -> list[str]:
    """Return the message's text and the text of every mrkdwn object in its blocks."""
    texts = [message.get("text", "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks", []))
    return texts
