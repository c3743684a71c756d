"""The floor peer for bench_alerts on PostgreSQL: a bare aiohttp handler writing each batch.

The same work as bare_sqlite_sink.py (parse the JSON, then in one transaction per request store
the body and upsert one row per alert; no validation, dedup, grouping or notifications), on
asyncpg with a small pool, written the plain way (executemany).

Run: python bare_pg_sink.py PORT POSTGRES_URL
"""

from __future__ import annotations

import sys

import asyncpg
import orjson
from aiohttp import web

_SCHEMA = ("CREATE TABLE IF NOT EXISTS batch (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL);"
           "CREATE TABLE IF NOT EXISTS alert (fingerprint TEXT PRIMARY KEY, status TEXT, labels JSONB, "
           "annotations JSONB, starts_at TEXT, ends_at TEXT, deliveries INTEGER NOT NULL DEFAULT 1)")
_UPSERT = ("INSERT INTO alert (fingerprint, status, labels, annotations, starts_at, ends_at) "
           "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (fingerprint) DO UPDATE SET status = excluded.status, "
           "ends_at = excluded.ends_at, deliveries = alert.deliveries + 1")


def main(port: int, url: str) -> None:
    """Serve POST /webhooks/alertmanager (and GET /ready) until killed."""

    async def setup(app: web.Application) -> None:
        app["pool"] = await asyncpg.create_pool(url, min_size=2, max_size=8)
        async with app["pool"].acquire() as c:
            await c.execute(_SCHEMA)

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        doc = orjson.loads(body)
        rows = [(a["fingerprint"], a["status"], orjson.dumps(a["labels"]).decode(),
                 orjson.dumps(a.get("annotations", {})).decode(), a["startsAt"], a.get("endsAt"))
                for a in doc["alerts"]]
        async with request.app["pool"].acquire() as c, c.transaction():
            await c.execute("INSERT INTO batch (body) VALUES ($1)", body.decode())
            await c.executemany(_UPSERT, rows)
        return web.json_response({"stored": len(rows)})

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.on_startup.append(setup)
    app.add_routes([web.post("/webhooks/alertmanager", handle), web.get("/ready", lambda r: web.Response(text="ok"))])
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
