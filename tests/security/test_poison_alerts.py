"""Poison alert batches: refused at the door with 400 naming the field on both stores, and a
batch the database keeps refusing lands in the dead letter instead of being retried forever."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3

import asyncpg
from sqlalchemy.engine import make_url

from tests.security.served import DEFAULT_CONFIG

TOKEN = "poison-test-token"
STARTS = "2026-12-01T10:00:00Z"


def _body(labels: dict[str, str], annotations: dict[str, str] | None = None, *,
          group_key: str = "{}:{alertname=\"x\"}", receiver: str = "opsbot") -> bytes:
    alert = {"status": "firing", "labels": labels, "annotations": annotations or {}, "startsAt": STARTS,
             "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph"}
    return json.dumps({"version": "4", "status": "firing", "receiver": receiver, "groupKey": group_key,
                       "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
                       "externalURL": "http://am", "alerts": [alert]}).encode()


async def _post_alerts(bot, body: bytes) -> tuple[int, dict]:
    status, text = await bot.post("/webhooks/alertmanager", body, {
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    return status, json.loads(text)


# (body, the field the refusal must name)
POISON = [
    (_body({"alertname": "A" * 201}), "alerts[0].labels.alertname"),
    (_body({"alertname": "A" * 1024}), "alerts[0].labels.alertname"),
    (_body({"alertname": "Bad\x00Name"}), "alerts[0].labels.alertname"),
    (_body({"alertname": "X", "service": "api\x00"}), "alerts[0].labels.service"),
    (_body({"alertname": "X", "sev\x00": "x"}), "alerts[0].labels key"),
    (_body({"alertname": "X"}, {"summary": "\x00"}), "alerts[0].annotations.summary"),
    (_body({"alertname": "X", "severity": "s" * 33}), "alerts[0].labels.severity"),
    (_body({"alertname": "X"}, group_key="g\x00"), "groupKey"),
    (_body({"alertname": "X"}, receiver="r\x00"), "receiver"),
]


async def test_poison_fields_are_refused_at_the_door_naming_the_field(start_bot, store_url):
    bot = await start_bot(store_url, OPSBOT_WEBHOOK_TOKEN=TOKEN)
    for body, field in POISON:
        status, doc = await _post_alerts(bot, body)
        assert status == 400, (field, status, doc, bot.log_tail())
        assert field in doc["message"], (field, doc)
    # At the limits exactly, everything fits the tables: processed now, not deferred for retry.
    status, doc = await _post_alerts(bot, _body({"alertname": "A" * 200, "service": "s" * 1024,
                                                 "severity": "c" * 32}, {"summary": "y" * 8192}))
    assert status == 200 and doc["ok"] and not doc["deferred"], (doc, bot.log_tail())
    assert "Traceback" not in bot.log_tail(100_000)


POISON_ALERT = "PoisonForTheStore"
SQLITE_TRIGGER = (f"CREATE TRIGGER refuse_poison BEFORE INSERT ON alerts_alert WHEN NEW.alertname = "
                  f"'{POISON_ALERT}' BEGIN SELECT RAISE(ABORT, 'poison refused by the store'); END")
PG_TRIGGER = [
    "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF NEW.alertname = '{POISON_ALERT}' THEN RAISE EXCEPTION 'poison refused by the store'; END IF; "
    "RETURN NEW; END $$",
    "CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON alerts_alert FOR EACH ROW "
    "EXECUTE FUNCTION refuse_poison()",
]


async def _sql(url: str, *statements: str) -> list:
    """Run statements on the bot's database as an operator would (psql / sqlite3); return the last rows."""
    if url.startswith("sqlite"):
        con = sqlite3.connect(make_url(url).database, timeout=30)
        try:
            rows: list = []
            for st in statements:
                rows = con.execute(st).fetchall()
            con.commit()
            return rows
        finally:
            con.close()
    u = make_url(url)
    con = await asyncpg.connect(host=u.host, port=u.port, user=u.username, database=u.database)
    try:
        rows = []
        for st in statements:
            rows = await con.fetch(st)
        return [tuple(r) for r in rows]
    finally:
        await con.close()


async def _wait(predicate, timeout: float = 60.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


async def test_a_batch_the_store_keeps_refusing_lands_in_the_dead_letter(start_bot, store_url):
    config = DEFAULT_CONFIG.replace("alerts:\n", "alerts:\n  tick_interval_s: 0.5\n  dead_letter_after: 3\n")
    bot = await start_bot(store_url, config=config, OPSBOT_WEBHOOK_TOKEN=TOKEN)
    # A failure the door cannot foresee: the database itself refuses this alert's row.
    if store_url.startswith("sqlite"):
        await _sql(store_url, SQLITE_TRIGGER)
    else:
        await _sql(store_url, *PG_TRIGGER)
    status, doc = await _post_alerts(bot, _body({"alertname": POISON_ALERT, "service": "api"}))
    assert status == 200 and doc["deferred"], (doc, bot.log_tail())
    bid = doc["batch"]

    async def dead() -> bool:
        rows = await _sql(store_url, f"SELECT attempts, dead_at FROM alerts_batch WHERE id = {bid}")
        return bool(rows) and rows[0][1] is not None

    await _wait(dead, what="the batch to reach the dead letter")
    await asyncio.sleep(2.0)  # several more ticks: a dead batch is not tried again
    rows = await _sql(store_url, f"SELECT attempts, processed_at FROM alerts_batch WHERE id = {bid}")
    assert rows == [(3, None)], rows
    assert re.search(rf"alert batch {bid} moved to the dead letter after 3 failed attempts", bot.log_tail(200_000))

    async with bot.session.get(f"{bot.url}/metrics") as r:
        metrics = await r.text()
    assert re.search(r"^opsbot_alert_dead_letter_batches 1\.0$", metrics, re.M), metrics[-2000:]
    answer = await bot.command("U0ALICE", "stats")
    assert "Dead letter:* 1 alert batch" in str(answer.json), answer.body

    listed = bot.cli("alerts", "dead-letter")
    assert listed.returncode == 0 and f"batch {bid} (alertmanager)" in listed.stdout, listed
    # The operator fixes the cause and gives the batch back: it is processed, and the alert opens an incident.
    await _sql(store_url, "DROP TRIGGER refuse_poison" + ("" if store_url.startswith("sqlite") else " ON alerts_alert"))
    back = bot.cli("alerts", "dead-letter", "--requeue", str(bid))
    assert back.returncode == 0, back

    async def processed() -> bool:
        rows = await _sql(store_url, f"SELECT processed_at FROM alerts_batch WHERE id = {bid}")
        return rows[0][0] is not None

    await _wait(processed, what="the requeued batch to be processed")
    assert await _sql(store_url, f"SELECT count(*) FROM alerts_alert WHERE alertname = '{POISON_ALERT}'") == [(1,)]
