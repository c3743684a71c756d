"""The floor peer for bench_alerts: a bare aiohttp handler writing each batch to SQLite.

What the issue names as the reference for "Python plus SQLite": parse the JSON, then in one
transaction per request store the body and upsert one row per alert; no validation, no
dedup, no grouping, no notifications. Same SQLite settings as Opsbot (WAL, synchronous
NORMAL). Writes run in one dedicated thread so the event loop never blocks.

Run: python bare_sqlite_sink.py PORT DB_PATH
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor

import orjson
from aiohttp import web

_SCHEMA = ("CREATE TABLE IF NOT EXISTS batch (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
           "CREATE TABLE IF NOT EXISTS alert (fingerprint TEXT PRIMARY KEY, status TEXT, labels TEXT, "
           "annotations TEXT, starts_at TEXT, ends_at TEXT, deliveries INTEGER NOT NULL DEFAULT 1)")
_UPSERT = ("INSERT INTO alert (fingerprint, status, labels, annotations, starts_at, ends_at) "
           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE SET status = excluded.status, "
           "ends_at = excluded.ends_at, deliveries = deliveries + 1")


def main(port: int, path: str) -> None:
    """Serve POST /webhooks/alertmanager (and GET /ready) until killed."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    writer = ThreadPoolExecutor(max_workers=1)

    def write(body: bytes, rows: list[tuple]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO batch (body) VALUES (?)", (body.decode(),))
        conn.executemany(_UPSERT, rows)
        conn.execute("COMMIT")

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        doc = orjson.loads(body)
        rows = [(a["fingerprint"], a["status"], orjson.dumps(a["labels"]).decode(),
                 orjson.dumps(a.get("annotations", {})).decode(), a["startsAt"], a.get("endsAt"))
                for a in doc["alerts"]]
        await asyncio.get_running_loop().run_in_executor(writer, write, body, rows)
        return web.json_response({"stored": len(rows)})

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.add_routes([web.post("/webhooks/alertmanager", handle), web.get("/ready", lambda r: web.Response(text="ok"))])
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
