"""Slack Web API error answers: `{"ok": false, "error": code, ...}`."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer with Slack's code, optional detail list, HTTP status and headers."""

    def __init__(self, code: str, *, errors: list[str] | None = None,
                 messages: list[str] | None = None, status: int = 200,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors
        self.messages = messages
        self.status = status
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """Return the JSON body Slack sends for this error."""
        body: dict[str, Any] = {"ok": False, "error": self.code, **self.extra}
        if self.errors:
            body["errors"] = self.errors
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


def ratelimited(retry_after: int) -> ApiError:
    """Return Slack's 429 answer with its Retry-After header."""
    return ApiError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
