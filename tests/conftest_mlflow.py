"""One real `mlflow server` per test session (SQLite backend, temp artifacts, free port).

Import `mlflow_server_uri()` from any conftest: the server is a process-wide singleton,
so several fixtures that use it still start only one server (startup takes 10-90 s here).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Callable

_STATE: dict[str, object] = {}
STARTUP_TIMEOUT_S = 180
WEBHOOK_KEY = "8Jd1n3vQ6m0cXk6Ww3mS8f0Zy3c7wqk2b5lR9tYh1uE="  # a Fernet key (32 url-safe base64 bytes)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop() -> None:
    stop = _STATE.get("stop")
    if callable(stop):
        stop()


def start_mlflow_server(workdir: str, backend_db: str | None = None) -> tuple[str, Callable[[], None]]:
    """Start `mlflow server` over a SQLite file in workdir on a free port; return (uri, stop)."""
    port = _free_port()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    db = backend_db or f"{workdir}/mlflow.db"
    log = open(Path(workdir) / f"server-{port}.log", "wb")
    # Registry webhooks to Opsbot on loopback: MLflow refuses http:// and private addresses
    # unless told otherwise; a 1 s webhook cache makes a new webhook fire at once; a fixed
    # key keeps webhook secrets readable by every server worker.
    env = {**os.environ, "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http", "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
           "MLFLOW_WEBHOOK_CACHE_TTL": "1", "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": WEBHOOK_KEY}
    proc = subprocess.Popen(
        [str(mlflow_bin), "server", "--backend-store-uri", f"sqlite:///{db}",
         "--default-artifact-root", f"{workdir}/artifacts", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True, env=env)

    def stop() -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server forks uvicorn workers: stop the group
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()

    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited: {Path(log.name).read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as r:
                if r.status == 200:
                    return uri, stop
        except OSError:
            time.sleep(0.5)
    stop()
    raise RuntimeError(f"mlflow server did not answer on {uri} within {STARTUP_TIMEOUT_S}s")


def mlflow_server_uri() -> str:
    """Start (once per process) a real MLflow tracking server and return its http:// URI."""
    if "uri" in _STATE:
        return str(_STATE["uri"])
    workdir = tempfile.mkdtemp(prefix="opsbot-mlflow-")
    atexit.register(lambda: shutil.rmtree(workdir, ignore_errors=True))
    uri, stop = start_mlflow_server(workdir)
    _STATE.update(uri=uri, stop=stop)
    atexit.register(_stop)  # registered last so it runs first: stop the server, then remove its files
    return uri


_LOGGED: dict[tuple[str, str], tuple[str, str, str]] = {}


def _log_sklearn(uri: str, spec: dict) -> tuple[str, str, str]:
    """Train and log one real scikit-learn model with the spec's metrics (cached per spec)."""
    import json

    import mlflow
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    key = (uri, json.dumps(spec, sort_keys=True))
    if key not in _LOGGED:
        X, y = load_breast_cancer(return_X_y=True)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=spec.get("C", 1.0), max_iter=500)).fit(X, y)
        mlflow.set_tracking_uri(uri)
        with mlflow.start_run() as run:
            mlflow.log_metrics(spec.get("metrics", {}))
            info = mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
        _LOGGED[key] = (info.model_uri, run.info.run_id, info.model_id)
    return _LOGGED[key]


def register_sklearn_versions(uri: str, name: str, specs: list[dict]) -> list[int]:
    """Register one real scikit-learn model version per spec ({metrics, tags, C}); return versions.

    Identical specs share one trained, logged model (and its run), so tests that need a fresh
    registered model pay for registration only.
    """
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    try:
        client.create_registered_model(name)
    except Exception:  # noqa: BLE001 - already registered by an earlier call
        pass
    versions = []
    for spec in specs:
        source, run_id, model_id = _log_sklearn(uri, spec)
        mv = client.create_model_version(name, source=source, run_id=run_id,
                                         tags=spec.get("tags", {}), model_id=model_id)
        versions.append(int(mv.version))
    return versions
