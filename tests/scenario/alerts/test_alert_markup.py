"""Through the local workspace: what an alert says is shown as data; its labels and annotations can
never ping a channel, mention someone, forge a link or break the card's formatting."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from tests.scenario.alerts.conftest import post_webhook

HOSTILE = "<!channel> <@U0ALICE> <https://evil.example|click> & <#C0OPS>"
# What Slack would read as a control sequence: a ping, a mention, a channel link or a link.
CONTROL = re.compile(r"<(!channel|!here|!everyone|@U0ALICE|https://evil\.example[^>]*|#C0OPS)>")


def _body() -> dict:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"receiver": "opsbot", "status": "firing", "version": "4", "groupKey": "{}:{alertname=\"x\"}",
            "truncatedAlerts": 0, "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://am.example",
            "alerts": [{"status": "firing", "startsAt": now, "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "http://prometheus.example/graph", "fingerprint": "m1",
                        "labels": {"alertname": "Disk<Full>", "service": "pay&ments", "severity": "critical",
                                   "instance": "db-9 <!here>"},
                        "annotations": {"summary": f"disk *almost* full {HOSTILE}",
                                        "description": f"_x_ ~y~ {HOSTILE}"}}]}


async def test_an_alerts_markup_is_shown_as_text_and_pings_nobody(alert_stack):
    ws = alert_stack.workspace
    assert (await post_webhook(alert_stack, _body()))[0] == 200
    card = await ws.wait_for(lambda: next((m for m in ws.messages("#incidents") if "incident #" in m.get("text", "")),
                                          None), timeout=10)
    posted = [card, *ws.replies("#incidents", card["ts"])]
    detail = await ws.send_slash_command("bob", "#ops", "incident 1")
    why = await ws.send_slash_command("bob", "#ops", "why 1")
    for message in [*posted, detail.json or ws.last_ephemeral("bob"), why.json or ws.last_ephemeral("bob")]:
        text = json.dumps(message, ensure_ascii=False)
        assert not CONTROL.search(text), f"an alert's words became markup: {CONTROL.search(text)[0]}"
    shown = json.dumps(card, ensure_ascii=False)
    # Escaped, not dropped: a person still reads what the alert said.
    assert "Disk&lt;Full&gt;" in shown and "pay&amp;ments" in shown and "&lt;!channel&gt;" in shown
