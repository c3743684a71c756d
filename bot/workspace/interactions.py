"""Send signed slash commands and interactions to the bot and show its answers."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from . import payloads
from .blocks import validate_view
from .errors import ApiError
from .responder import show_response
from .signing import signed_headers
from .socket_mode import SocketModeHub, event_callback
from .state import SLACKBOT, Workspace
from .tokens import ResponseTarget

log = logging.getLogger(__name__)


@dataclass
class BotAnswer:
    """The bot's immediate answer: HTTP body or Socket Mode ack (`error`: Slack's failure code)."""

    status: int
    body: str
    error: str | None = None
    # The Socket Mode connection that carried the envelope (None over HTTP).
    connection: str | None = None

    @property
    def json(self) -> dict[str, Any] | None:
        """Return the body parsed as a JSON object, or None."""
        try:
            data = json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    @property
    def text(self) -> str:
        """Return the answer's `text` (or the plain body)."""
        data = self.json
        return str(data.get("text", "")) if data is not None else self.body

    @property
    def blocks(self) -> list:
        """Return the answer's blocks (empty when none)."""
        return (self.json or {}).get("blocks") or []


class Interactions:
    """What a person does in the workspace that Slack forwards to the bot."""

    def __init__(self, ws: Workspace, socket_mode: SocketModeHub | None = None) -> None:
        self.ws = ws
        self.socket_mode = socket_mode or SocketModeHub(ws)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP session used to reach the bot."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _response_url(self, target: ResponseTarget) -> str:
        if not self.ws.base_url:
            raise RuntimeError("workspace base URL unknown; start it with start_workspace()")
        token = self.ws.tokens.issue_response_url(target, self.ws.now())
        return f"{self.ws.base_url}/response/{token}"

    async def _deliver(self, form: dict[str, str]) -> BotAnswer:
        if self.socket_mode.uses_socket_mode():
            done = await self.socket_mode.deliver_form(form)
            # The ack's payload plays the part of the HTTP response body.
            body = json.dumps(done.payload) if done.payload else ""
            return BotAnswer(0 if done.error else 200, body, done.error, done.connection_id)
        url = self.ws.config.request_url
        if not url:
            return BotAnswer(0, "", "dispatch_failed")
        body = urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
                   **signed_headers(self.ws.config.signing_secret, body)}
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self.ws.config.request_timeout)
        try:
            async with self._session.post(url, data=body, headers=headers,
                                          timeout=timeout) as resp:
                text = await resp.text()
        except asyncio.TimeoutError:
            return BotAnswer(0, "", "operation_timeout")
        except aiohttp.ClientError as exc:
            log.warning("bot unreachable at %s: %s", url, exc)
            return BotAnswer(0, "", "dispatch_failed")
        return BotAnswer(resp.status, text, None if resp.status == 200 else "dispatch_failed")

    async def send_event(self, event: dict[str, Any]) -> BotAnswer:
        """Deliver an Events API event: over Socket Mode with Slack's retries, else a signed JSON POST."""
        if not self.socket_mode.uses_socket_mode():
            return await self._post_event(event_callback(self.ws, event))
        done = await self.socket_mode.deliver_event(event_callback(self.ws, event))
        return BotAnswer(0 if done.error else 200, "", done.error, done.connection_id)

    async def _post_event(self, body_obj: dict[str, Any]) -> BotAnswer:
        # Over HTTP one attempt only: Slack's retries are modelled on the Socket Mode side.
        url = self.ws.config.request_url
        if not url:
            return BotAnswer(0, "", "dispatch_failed")
        body = json.dumps(body_obj).encode()
        headers = {"Content-Type": "application/json",
                   "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
                   **signed_headers(self.ws.config.signing_secret, body)}
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(
                    total=self.ws.config.request_timeout)) as resp:
                text = await resp.text()
        except (asyncio.TimeoutError, aiohttp.ClientError):
            return BotAnswer(0, "", "dispatch_failed")
        return BotAnswer(resp.status, text, None if resp.status == 200 else "dispatch_failed")

    async def open_home(self, user: str) -> BotAnswer:
        """Send `app_home_opened` for `user` (Home tab), as Slack does when they open it."""
        person = self.ws.require_user(user)
        event: dict[str, Any] = {"type": "app_home_opened", "user": person.id,
                                 "channel": f"D{person.id[1:]}", "tab": "home"}
        if person.id in self.ws.homes:
            event["view"] = self.ws.homes[person.id]
        return await self.send_event(event)

    def _slackbot_says(self, channel_id: str, user_id: str, text: str) -> None:
        channel = self.ws.require_channel(channel_id)
        msg = {"type": "message", "user": SLACKBOT.id, "username": SLACKBOT.real_name,
               "text": text}
        self.ws.post_ephemeral(channel, user_id, msg)

    async def send_slash_command(self, user: str, channel: str, text: str) -> BotAnswer:
        """Send `/ops <text>` as `user` in `channel`; show and return the bot's answer."""
        ws = self.ws
        person, chan = ws.require_user(user), ws.require_channel(channel)
        url = self._response_url(ResponseTarget(chan.id, person.id))
        trigger = ws.tokens.issue_trigger(person.id, ws.now())
        answer = await self._deliver(payloads.slash_form(ws, person, chan, text, url, trigger))
        command = f"{ws.config.command} {text}".strip()
        if answer.error:
            self._slackbot_says(chan.id, person.id,
                                f"{command} failed with the error \"{answer.error}\"")
            return answer
        body = answer.json if answer.json is not None else (
            {"text": answer.body} if answer.body.strip() else None)
        if body and (body.get("text") or body.get("blocks")):
            if body.get("response_type") == "in_channel":
                # Slack shows the invocation above an in_channel answer.
                ws.post(chan, ws.user_message(person.id, command))
            try:
                show_response(ws, ResponseTarget(chan.id, person.id), body)
            except ApiError as err:
                answer.error = err.code
                self._slackbot_says(chan.id, person.id,
                                    f"{command} failed with the error \"{err.code}\"")
        return answer

    async def click(self, user: str, channel: str, message_ts: str, action_id: str,
                    value: Any = None, block_id: str | None = None) -> BotAnswer:
        """Click a button (or pick `value` in a select) on a message as `user`."""
        ws = self.ws
        person, chan = ws.require_user(user), ws.require_channel(channel)
        eph = ws.ephemerals.get(message_ts)
        ephemeral = eph is not None and eph["visible_to"] == person.id
        msg = eph if ephemeral else ws.find(chan, message_ts)
        if msg is None:
            raise LookupError(f"no message {message_ts} in #{chan.name}")
        block, el = payloads.find_element(msg.get("blocks"), action_id, block_id,
                                          value if isinstance(value, str) else None)
        action = payloads.action_entry(ws, block, el, value)
        target = ResponseTarget(chan.id, person.id, msg["ts"], ephemeral)
        trigger = ws.tokens.issue_trigger(person.id, ws.now())
        body = payloads.block_actions(ws, person, chan, msg, ephemeral, action, trigger,
                                      self._response_url(target))
        return await self._send_payload(body, chan.id, person.id)

    async def click_in_view(self, user: str, action_id: str, value: Any = None,
                            block_id: str | None = None) -> BotAnswer:
        """Use an interactive element inside the user's open modal."""
        ws = self.ws
        person = ws.require_user(user)
        view = ws.views.top(person.id)
        if view is None:
            raise LookupError(f"{person.name} has no open modal")
        block, el = payloads.find_element(view["blocks"], action_id, block_id,
                                          value if isinstance(value, str) else None)
        body = payloads.view_payload(ws, "block_actions", person, view,
                                     ws.tokens.issue_trigger(person.id, ws.now()))
        body["actions"] = [payloads.action_entry(ws, block, el, value)]
        return await self._send_payload(body, None, person.id)

    async def _send_payload(self, body: dict, channel_id: str | None, user_id: str
                            ) -> BotAnswer:
        answer = await self._deliver({"payload": json.dumps(body)})
        if answer.error and channel_id:
            self._slackbot_says(channel_id, user_id,
                                f"{self.ws.config.bot_name} did not respond "
                                f"(\"{answer.error}\")")
        return answer

    async def submit_view(self, user: str, values: dict[str, Any] | None = None,
                          view_id: str | None = None) -> BotAnswer:
        """Submit the user's modal with `{block_id: value}`; apply its response_action."""
        ws = self.ws
        person = ws.require_user(user)
        view = ws.views.get(view_id) if view_id else ws.views.top(person.id)
        if view is None or ws.views.owner(view["id"]) != person.id:
            raise LookupError(f"{person.name} has no such open modal")
        view["state"] = {"values": payloads.view_state(view, values)}
        body = payloads.view_payload(ws, "view_submission", person, view,
                                     ws.tokens.issue_trigger(person.id, ws.now()))
        answer = await self._deliver({"payload": json.dumps(body)})
        self._apply_view_answer(person.id, view, answer)
        ws.touch()
        return answer

    def _apply_view_answer(self, user_id: str, view: dict, answer: BotAnswer) -> None:
        views, now = self.ws.views, self.ws.now()
        if answer.error:
            views.errors[view["id"]] = {"": "We had some trouble connecting. Try again?"}
            return
        data = answer.json or {}
        action = data.get("response_action")
        new_view = data.get("view")
        if action in ("update", "push") and validate_view(new_view):
            views.errors[view["id"]] = {"": "The app answered with an invalid view."}
        elif action == "errors":
            views.errors[view["id"]] = {str(k): str(v) for k, v in
                                        (data.get("errors") or {}).items()}
        elif action == "update":
            views.update(view["id"], None, new_view, None, now)
        elif action == "push":
            views.push(user_id, new_view, now)
        elif action == "clear":
            views.clear(user_id)
        else:
            views.close(user_id, view["id"])

    async def close_view(self, user: str, view_id: str | None = None) -> BotAnswer | None:
        """Close the user's modal (sending view_closed when the view asked for it)."""
        ws = self.ws
        person = ws.require_user(user)
        view = ws.views.get(view_id) if view_id else ws.views.top(person.id)
        if view is None:
            return None
        answer = None
        if view.get("notify_on_close"):
            body = payloads.view_payload(ws, "view_closed", person, view, None)
            answer = await self._deliver({"payload": json.dumps(body)})
        ws.views.close(person.id, view["id"])
        ws.touch()
        return answer


INTERACTIONS = web.AppKey("interactions", Interactions)
