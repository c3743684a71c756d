"""Through the local workspace: `/ops drift churn` posts one summary with buttons; Show all
features answers in the thread; Compare another window opens a modal and posts a new summary;
unknown models and bad files get messages that say what to fix."""

from __future__ import annotations

import json


def text_of(message: dict) -> str:
    """Return everything a person reads in a message."""
    return str(message.get("text", "")) + json.dumps(message.get("blocks", []), ensure_ascii=False)


def summaries(ws, channel: str = "ml-models") -> list[dict]:
    return [m for m in ws.messages(channel) if "drift in churn" in m.get("text", "")]


async def test_drift_summary_buttons_thread_and_compare(drift_stack):
    ws = drift_stack.workspace
    answer = await ws.send_slash_command("alice", "ml-models", "drift churn --window 24h")
    assert answer.status == 200
    msg = await ws.wait_for(lambda: next(iter(summaries(ws)), None), timeout=15)
    body = text_of(msg)
    assert "Data drift in churn" in msg["text"] and "features drifted" in msg["text"]
    assert "`income` moved up: median 41k" in body and "Top drivers" in body
    assert "last 24h" in body
    for action in ("drift_show_all", "drift_compare"):
        assert action in body
    assert "models_rollback" not in body  # no model registry configured: no rollback button

    await ws.click("bob", "ml-models", msg["ts"], "drift_show_all")
    reply = await ws.wait_for(lambda: next(iter(ws.replies("ml-models", msg["ts"])), None), timeout=10)
    table = text_of(reply)
    assert "All features of churn" in table
    for feature in ("tenure_months", "income", "monthly_charges", "support_calls", "contract", "region"):
        assert f"`{feature}`" in table
    assert table.index("support_calls") < table.index("region")  # drifted first

    await ws.click("bob", "ml-models", msg["ts"], "drift_compare")
    view = await ws.wait_for(lambda: ws.open_view("bob"))
    assert '"window"' in json.dumps(view)
    await ws.submit_view("bob", {"window": "soon"})
    assert "positive number and a unit" in ws.view_errors("bob").get("window", "")
    await ws.submit_view("bob", {"window": "72h"})
    second = await ws.wait_for(lambda: len(summaries(ws)) >= 2 and summaries(ws)[-1], timeout=15)
    assert "last 72h" in text_of(second)
    # the older half of the traffic looks like training data, so a longer window drifts less
    share = [int(s["text"].split("(")[1].split("%")[0]) for s in summaries(ws)]
    assert share[1] <= share[0]

    recent = await drift_stack.bot.engine.drift.recent("churn")
    assert [r.trigger for r in recent] == ["compare", "command"] and all(r.posted for r in recent)
    assert recent[1].scores["income"] > 0.1


async def test_sparkline_shows_trend_over_recent_checks(drift_stack):
    ws = drift_stack.workspace
    for window in ("72h", "48h", "24h"):
        await ws.send_slash_command("alice", "ml-models", f"drift churn --window {window}")
    third = await ws.wait_for(lambda: len(summaries(ws)) >= 3 and summaries(ws)[2], timeout=20)
    drivers = next(b["text"]["text"] for b in third["blocks"] if "Top drivers" in b.get("text", {}).get("text", ""))
    first_line = drivers.splitlines()[1]
    spark = first_line.rsplit("`", 2)[1]
    assert len(spark) == 3 and set(spark) <= set("▁▂▃▄▅▆▇█") and spark[-1] == "█"


async def test_unknown_model_lists_configured_ones(drift_stack):
    ws = drift_stack.workspace
    answer = await ws.send_slash_command("alice", "ml-models", "drift chrun")
    shown = text_of(answer.json or ws.last_ephemeral("alice"))
    assert "no drift check is configured for `chrun`" in shown
    assert "did you mean `churn`?" in shown and "`unreadable`" in shown
    assert not summaries(ws)

    listing = await ws.send_slash_command("alice", "ml-models", "drift")
    assert "churn" in text_of(listing.json or ws.last_ephemeral("alice"))


async def test_bad_input_names_file_and_column(drift_stack):
    ws = drift_stack.workspace

    async def ask(text: str) -> str:
        answer = await ws.send_slash_command("alice", "ops", text)
        return text_of(answer.json or ws.last_ephemeral("alice"))

    shown = await ask("drift unreadable")
    assert "unreadable_current.parquet" in shown and "cannot read as parquet" in shown
    shown = await ask("drift renamed")
    assert "churn_current.parquet" in shown and "column `salary` not found" in shown
    shown = await ask("drift stale --window 1s")
    assert "churn_current.parquet: no rows with `ts` in" in shown
    shown = await ask("drift mixed --window 6h")
    assert "no time column" in shown and "drift.models.mixed.current.time_column" in shown
    # numbers in the reference, words in the current file: compared no further, said plainly
    shown = await ask("drift mixed")
    assert "`income` changed type: numeric -> categorical; not compared" in shown.replace("-&gt;", "->")
    assert "mixed_current.csv" in shown
    assert (await ws.send_slash_command("alice", "ops", "help")).status == 200  # the bot still answers


async def test_scheduled_check_posts_once_through_the_notifier(drift_stack):
    ws, eng = drift_stack.workspace, drift_stack.bot.engine
    job = eng.drift.job_for("churn")
    await job(eng.clock.now())
    await job(eng.clock.now())  # same verdict, same drivers: nothing new to say
    msg = await ws.wait_for(lambda: next(iter(summaries(ws)), None), timeout=15)
    assert "Check #1 · scheduled" in text_of(msg)
    await drift_stack.bot.notifier.drain()  # anything still queued would be sent now
    assert len(summaries(ws)) == 1 and await eng.outbox.depth() == 0
    await ws.click("carol", "ml-models", msg["ts"], "drift_show_all")
    reply = await ws.wait_for(lambda: next(iter(ws.replies("ml-models", msg["ts"])), None), timeout=10)
    assert "All features of churn (check #1)" in reply["text"]


async def test_demo_seeder_posts_one_summary_to_ml_models(stack, tmp_path):
    from engine.lab.drift.demo import seed_drift_demo

    note = await seed_drift_demo(stack, tmp_path)
    assert "4 of 6 features drifted" in note and "#" in note
    eng = stack.bot.engine
    assert "drift:churn" in eng.scheduler.jobs
    channel = eng.config.channels.for_family("drift")
    msg = await stack.workspace.wait_for(lambda: next(iter(summaries(stack.workspace, channel)), None), timeout=15)
    assert "Top drivers" in text_of(msg) and "drift_show_all" in text_of(msg)
    again = await eng.drift.scheduled("churn", eng.clock.now())
    assert not again.posted
