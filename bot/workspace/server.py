"""The workspace's aiohttp application and an embeddable running instance for tests and demo."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from aiohttp import web

from . import ui
from .api_files import handle_download, handle_upload
from .config import WorkspaceConfig
from .appkeys import WORKSPACE
from .interactions import INTERACTIONS, BotAnswer, Interactions
from .responder import handle_response_url
from .socket_mode import SOCKET_MODE, SocketModeHub
from .state import Workspace
from .webapi import handle_api



@web.middleware
async def _learn_base_url(request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                          ) -> web.StreamResponse:
    # response_url links must be absolute; without a configured URL, use how we are reached.
    ws: Workspace = request.app[WORKSPACE]
    if ws.base_url is None:
        ws.base_url = f"{request.scheme}://{request.host}"
    return await handler(request)


def create_workspace_app(config: WorkspaceConfig,
                         workspace: Workspace | None = None) -> web.Application:
    """Build the aiohttp app: Web API at /api/, response URLs, the page and its endpoints."""
    app = web.Application(middlewares=[_learn_base_url], client_max_size=4 * 1024 * 1024)
    ws = workspace or Workspace(config)
    hub = SocketModeHub(ws)
    inter = Interactions(ws, hub)
    app[WORKSPACE] = ws
    app[INTERACTIONS] = inter
    app[SOCKET_MODE] = hub
    app.router.add_route("*", "/api/{method}", handle_api)
    app.router.add_get("/socket-mode/{ticket}", hub.handle_socket)
    app.router.add_post("/response/{token}", handle_response_url)
    app.router.add_post("/upload/v1/{file_id}", handle_upload)
    app.router.add_get("/files/{file_id}", handle_download)
    ui.add_routes(app)

    async def _close(_: web.Application) -> None:
        await inter.close()

    async def _close_sockets(_: web.Application) -> None:
        await hub.close()

    app.on_shutdown.append(_close_sockets)
    app.on_cleanup.append(_close)
    return app


class RunningWorkspace:
    """A workspace serving on loopback, with helpers that act as people in it."""

    def __init__(self, app: web.Application, runner: web.AppRunner, url: str) -> None:
        self.app = app
        self.url = url
        self.api_url = f"{url}/api/"
        self._runner = runner

    @property
    def workspace(self) -> Workspace:
        """Return the state (channels, messages, views...)."""
        return self.app[WORKSPACE]

    @property
    def interactions(self) -> Interactions:
        """Return the sender of slash commands and interactions."""
        return self.app[INTERACTIONS]

    @property
    def socket_mode(self) -> SocketModeHub:
        """Return the Socket Mode side: open connections and what each was sent."""
        return self.app[SOCKET_MODE]

    def set_request_url(self, url: str | None) -> None:
        """Point slash commands and interactions at the bot (e.g. after it started)."""
        self.workspace.config.request_url = url

    async def wait_for_connections(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `count` Socket Mode connections take envelopes."""
        await self.wait_for(lambda: len(self.socket_mode.active) >= count, timeout)

    async def stop(self) -> None:
        """Stop serving and close connections."""
        await self._runner.cleanup()

    async def __aenter__(self) -> "RunningWorkspace":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- acting as people ------------------------------------------------------------------
    async def send_slash_command(self, user: str, channel: str, text: str) -> BotAnswer:
        """Type `/ops <text>` as `user` (id or name) in `channel` (id, name or #name)."""
        return await self.interactions.send_slash_command(user, channel, text)

    async def send_event(self, event: dict[str, Any]) -> BotAnswer:
        """Deliver an Events API `event` over Socket Mode (retried when not acked)."""
        return await self.interactions.send_event(event)

    async def post_as(self, user: str, channel: str, text: str,
                      thread_ts: str | None = None) -> dict[str, Any]:
        """Post a plain message typed by a person (not sent to the bot)."""
        ws = self.workspace
        chan = ws.require_channel(channel)
        return ws.post(chan, ws.user_message(ws.require_user(user).id, text), thread_ts)

    async def click(self, user: str, channel: str, message_ts: str, action_id: str,
                    value: Any = None, block_id: str | None = None) -> BotAnswer:
        """Click a button or pick `value` in a select on a message (ephemeral ones too).

        With several buttons sharing `action_id`, `value` or `block_id` picks one.
        """
        return await self.interactions.click(user, channel, message_ts, action_id, value,
                                             block_id)

    async def click_in_view(self, user: str, action_id: str, value: Any = None,
                            block_id: str | None = None) -> BotAnswer:
        """Use an element inside the user's open modal."""
        return await self.interactions.click_in_view(user, action_id, value, block_id)

    async def submit_view(self, user: str, values: dict[str, Any] | None = None,
                          view_id: str | None = None) -> BotAnswer:
        """Submit the user's open modal with `{block_id: value}` (option values for selects)."""
        return await self.interactions.submit_view(user, values, view_id)

    async def close_view(self, user: str) -> BotAnswer | None:
        """Close the user's open modal."""
        return await self.interactions.close_view(user)

    async def open_home(self, user: str) -> BotAnswer:
        """Open the app's Home tab as `user`: Slack sends the bot `app_home_opened`."""
        return await self.interactions.open_home(user)

    # -- reading ---------------------------------------------------------------------------
    def home(self, user: str) -> dict[str, Any] | None:
        """Return the Home tab view the bot published for `user`, or None."""
        ws = self.workspace
        return ws.homes.get(ws.require_user(user).id)

    def members(self, channel: str) -> list[str]:
        """Return a channel's member ids."""
        ws = self.workspace
        return ws.members(ws.require_channel(channel))

    def pins(self, channel: str) -> list[str]:
        """Return the ts of a channel's pinned messages, oldest pin first."""
        return list(self.workspace.require_channel(channel).pins)

    def file(self, file_id: str) -> dict[str, Any] | None:
        """Return an uploaded file's record (`data` holds its bytes)."""
        return self.workspace.files.get(file_id)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Return the channel's top-level messages, oldest first."""
        ws = self.workspace
        return ws.history(ws.require_channel(channel))

    def replies(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Return the replies in the thread of `ts` (without the parent), oldest first."""
        ws = self.workspace
        return ws.thread(ws.require_channel(channel), ts)[1:]

    def ephemerals(self, user: str, channel: str | None = None) -> list[dict[str, Any]]:
        """Return what only `user` sees (optionally in one channel), oldest first."""
        ws = self.workspace
        chan = ws.require_channel(channel).id if channel else None
        return ws.ephemerals_for(ws.require_user(user).id, chan)

    def last_ephemeral(self, user: str) -> dict[str, Any] | None:
        """Return the latest ephemeral message shown to `user`, or None."""
        found = self.ephemerals(user)
        return found[-1] if found else None

    def open_view(self, user: str) -> dict[str, Any] | None:
        """Return the modal `user` currently sees, or None."""
        ws = self.workspace
        return ws.views.top(ws.require_user(user).id)

    def view_errors(self, user: str) -> dict[str, str]:
        """Return the field errors shown in the user's open modal."""
        view = self.open_view(user)
        return dict(self.workspace.views.errors.get(view["id"], {})) if view else {}

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every change) and return it."""
        return await self.workspace.wait_for(predicate, timeout)


async def start_workspace(config: WorkspaceConfig, host: str = "127.0.0.1",
                          port: int = 0) -> RunningWorkspace:
    """Serve a workspace on `host:port` (0 picks a free port) and return it running."""
    app = create_workspace_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    url = f"http://{host}:{bound}"
    ws: Workspace = app[WORKSPACE]
    if ws.base_url is None:
        ws.base_url = url
    return RunningWorkspace(app, runner, url)
