"""A tiny real Bolt AsyncApp on aiohttp, used to prove the workspace speaks Slack's protocols."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"

HELP_BLOCKS = [
    {"type": "header", "text": {"type": "plain_text", "text": "Opsbot help"}},
    {"type": "section", "block_id": "cmds",
     "text": {"type": "mrkdwn", "text": "*Commands*: `/ops help`, `/ops announce`, `/ops form`"}},
    {"type": "actions", "block_id": "more",
     "elements": [{"type": "button", "action_id": "help.more", "value": "page2",
                   "text": {"type": "plain_text", "text": "More"}, "style": "primary"}]},
]

FORM_VIEW = {
    "type": "modal", "callback_id": "runbook.params",
    "title": {"type": "plain_text", "text": "Run runbook"},
    "submit": {"type": "plain_text", "text": "Request"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "private_metadata": "restart-deployment",
    "blocks": [
        {"type": "input", "block_id": "namespace",
         "label": {"type": "plain_text", "text": "Namespace"},
         "element": {"type": "plain_text_input", "action_id": "value"}},
        {"type": "input", "block_id": "env", "label": {"type": "plain_text", "text": "Env"},
         "element": {"type": "static_select", "action_id": "pick", "options": [
             {"text": {"type": "plain_text", "text": "prod"}, "value": "prod"},
             {"text": {"type": "plain_text", "text": "staging"}, "value": "staging"}]}},
    ],
}


def approval_blocks(text: str, with_buttons: bool) -> list[dict]:
    """Return an approval request, with buttons until someone decides."""
    blocks: list[dict] = [{"type": "section", "block_id": "plan",
                           "text": {"type": "mrkdwn", "text": text}}]
    if with_buttons:
        blocks.append({"type": "actions", "block_id": "decide", "elements": [
            {"type": "button", "action_id": "approval.approve", "value": "apr_1",
             "style": "primary", "text": {"type": "plain_text", "text": "Approve"},
             "confirm": {"title": {"type": "plain_text", "text": "Approve?"},
                         "text": {"type": "mrkdwn", "text": "Promote *churn* v7?"},
                         "confirm": {"type": "plain_text", "text": "Yes"},
                         "deny": {"type": "plain_text", "text": "No"}}},
            {"type": "button", "action_id": "approval.reject", "value": "apr_1",
             "style": "danger", "text": {"type": "plain_text", "text": "Reject"}}]})
    return blocks


def build_app(api_url: str, token: str, secret: str) -> tuple[AsyncApp, list[dict]]:
    """Return the Bolt app and a list that records every payload it handled."""
    client = AsyncWebClient(token=token, base_url=api_url)
    app = AsyncApp(client=client, signing_secret=secret)
    seen: list[dict] = []

    @app.command("/ops")
    async def ops(ack, command, client, respond):
        seen.append(command)
        words = command["text"].split()
        sub = words[0] if words else "help"
        if sub == "help":
            await ack(text="Opsbot help: /ops help | announce | form", blocks=HELP_BLOCKS)
        elif sub == "announce":
            await ack()
            await client.chat_postMessage(
                channel=command["channel_id"], text="Approval needed: promote churn v7",
                blocks=approval_blocks("*Promote* `churn` v7 to `champion`", True))
        elif sub == "form":
            await ack()
            await client.views_open(trigger_id=command["trigger_id"], view=FORM_VIEW)
        elif sub == "shout":
            await ack(response_type="in_channel", text=f"<@{command['user_id']}> shouts!")
        elif sub == "later":
            await ack()
            await respond(text="done later", response_type="in_channel")
        else:
            await ack(text=f"Unknown subcommand `{sub}`. Try `/ops help`.")

    @app.action("help.more")
    async def more(ack, body, respond):
        await ack()
        seen.append(body)
        await respond(replace_original=True, text="Opsbot help (page 2)",
                      blocks=[{"type": "section", "text": {"type": "mrkdwn",
                                                           "text": "Page 2: *all done*"}}])

    @app.action("approval.approve")
    async def approve(ack, body, client):
        await ack()
        seen.append(body)
        who = body["user"]["id"]
        await client.chat_update(
            channel=body["channel"]["id"], ts=body["message"]["ts"],
            text=f"Approved by <@{who}>",
            blocks=approval_blocks(f":white_check_mark: Approved by <@{who}>", False))

    @app.view("runbook.params")
    async def submitted(ack, body, view, client):
        seen.append(body)
        values = view["state"]["values"]
        namespace = values["namespace"]["value"]["value"]
        if namespace != "payments":
            await ack(response_action="errors",
                      errors={"namespace": f"Unknown namespace {namespace}"})
            return
        await ack()
        env = values["env"]["pick"]["selected_option"]["value"]
        await client.chat_postMessage(channel="C0OPS", text=f"Requested restart in {env}")

    return app, seen


async def serve(app: AsyncApp, host: str = "127.0.0.1") -> tuple[web.AppRunner, str]:
    """Serve the Bolt app at POST /slack/events on a free port; return runner and URL."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    return runner, f"http://{host}:{runner.addresses[0][1]}/slack/events"
