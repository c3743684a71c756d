"""Real servers the tests use: PostgreSQL databases made and dropped per test, and
Alertmanager (and Prometheus) started on free loopback ports."""

from __future__ import annotations

import os
import shutil
import socket
import uuid

import pytest
from sqlalchemy.engine import make_url

from bot.demo_alertmanager import alertmanager_argv, find_binary


PG_ADMIN_URL = os.environ.get("OPSBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_admin_connect():
    import psycopg2

    url = make_url(PG_ADMIN_URL)
    conn = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username or "postgres",
                            password=url.password, dbname=url.database or "postgres", connect_timeout=3)
    conn.autocommit = True
    return conn


def create_pg_database() -> str:
    """Create a fresh PostgreSQL database and return its URL."""
    name = f"opsbot_test_{uuid.uuid4().hex[:12]}"
    try:
        conn = _pg_admin_connect()
    except Exception as exc:  # noqa: BLE001 - report why PostgreSQL tests cannot run
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc}); `make test` starts one")
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database, closing its connections."""
    name = make_url(url).database
    conn = _pg_admin_connect()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def wait_ready(proc, url: str, log_path, timeout_s: float) -> str:
    """Wait until url/-/ready answers; kill the process and show its log if it never does."""
    import time
    import urllib.request

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/-/ready", timeout=1).read()
            return url
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{url} did not start: {log_path.read_text()[-2000:]}")


def start_alertmanager(tmp_path, webhook_url: str | None = None):
    """Start a real Alertmanager on a free loopback port (gossip off); return (proc, base_url)."""
    import subprocess

    binary = find_binary() or "prometheus-alertmanager"  # make test installs it; else fail loudly
    port = free_port()
    receiver = "  - name: opsbot\n"
    if webhook_url:
        receiver += (f"    webhook_configs:\n      - url: {webhook_url}\n        send_resolved: true\n"
                     f"        http_config:\n          authorization:\n            credentials: test-token\n")
    (tmp_path / "am.yml").write_text(
        "route:\n  receiver: opsbot\n  group_by: [alertname, service]\n  group_wait: 1s\n"
        "  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n" + receiver)
    (tmp_path / "am-data").mkdir(exist_ok=True)
    proc = subprocess.Popen(alertmanager_argv(binary, tmp_path / "am.yml", tmp_path / "am-data", port),
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "am.log", "wb"))
    return proc, wait_ready(proc, f"http://127.0.0.1:{port}", tmp_path / "am.log", 20)


PROMETHEUS_BIN = "/usr/bin/prometheus"


def openmetrics(series: dict[str, list[tuple[float, float]]], labels: dict[str, dict[str, str]] | None = None) -> str:
    """Render {metric name: [(unix seconds, value), ...]} as OpenMetrics text for promtool."""
    lines: list[str] = []
    for name, points in series.items():
        metric = name.split("{")[0]
        lab = (labels or {}).get(name, {})
        sel = "{" + ",".join(f'{k}="{v}"' for k, v in sorted(lab.items())) + "}" if lab else ""
        lines.append(f"# TYPE {metric} gauge")
        lines.extend(f"{metric}{sel} {v} {t:.3f}" for t, v in points)
    return "\n".join(lines) + "\n# EOF\n"


def start_prometheus(tmp_path, backfill: str | None = None, flags: tuple[str, ...] = ()):
    """Start Debian's prometheus on a free loopback port, optionally backfilled with OpenMetrics
    text through `promtool tsdb create-blocks-from openmetrics` (extra command-line `flags` too);
    return (proc, base_url)."""
    import subprocess

    data = tmp_path / "prom-data"
    data.mkdir(exist_ok=True)
    if backfill:
        source = tmp_path / "backfill.om"
        source.write_text(backfill)
        subprocess.run([shutil.which("promtool") or "/usr/bin/promtool", "tsdb", "create-blocks-from",
                        "openmetrics", str(source), str(data)], check=True, capture_output=True)
    (tmp_path / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    port = free_port()
    proc = subprocess.Popen([shutil.which("prometheus") or PROMETHEUS_BIN,
                             f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={data}",
                             "--storage.tsdb.retention.time=3650d", f"--web.listen-address=127.0.0.1:{port}", *flags],
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "wb"))
    return proc, wait_ready(proc, f"http://127.0.0.1:{port}", tmp_path / "prometheus.log", 60)
