"""Seed a local MLflow store with real scikit-learn models so the demo can promote, fail a gate,
ask for approval and roll back.  `python -m engine.lab.demo_models [--store .opsbot/mlflow]`.

Every metric is measured, not invented: AUC on a held-out split of scikit-learn's bundled
breast-cancer dataset, p95 single-row predict latency in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

DEFAULT_STORE = Path(".opsbot/mlflow")
# We trained these trees ourselves in this process, so their node arrays are trusted.
TRUSTED = ["sklearn.tree._tree.Tree"]


@dataclass(frozen=True)
class Recipe:
    """One version to train: how to build the estimator, which features it sees, and its tags."""

    build: Callable[[], Any]
    features: int  # first N features only, so weak versions are really weaker
    tags: dict[str, str]


def _recipes() -> dict[str, list[Recipe]]:
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    def lr(c: float) -> Callable[[], Any]:
        return lambda: make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))

    ok, bad = {"validation_status": "passed"}, {"validation_status": "failed"}
    return {
        # churn: v1 champion; v2 better (promotes); v3 weak (fails the auc gate); v4 good but unvalidated
        "churn": [Recipe(lr(0.05), 10, ok), Recipe(lr(1.0), 30, ok),
                  Recipe(lambda: DecisionTreeClassifier(max_depth=1, random_state=0), 30, ok),
                  Recipe(lr(0.5), 30, bad)],
        # fraud: forests of growing size; the biggest is accurate but slow (fails the latency gate)
        "fraud": [Recipe(lambda: RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0), 30, ok),
                  Recipe(lambda: GradientBoostingClassifier(n_estimators=60, random_state=0), 30, ok),
                  Recipe(lambda: RandomForestClassifier(n_estimators=400, random_state=0), 30, ok)],
    }


def _measure(model: Any, X_test: np.ndarray, y_test: np.ndarray, rows: int = 200) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    proba = model.predict_proba(X_test)[:, 1]
    latencies = []
    for row in X_test[:rows]:
        one = row.reshape(1, -1)
        best = float("inf")
        for _ in range(3):  # best of three: a busy machine's preemptions are not the model's latency
            t0 = time.perf_counter()
            model.predict_proba(one)
            best = min(best, time.perf_counter() - t0)
        latencies.append(best * 1000)
    return {"auc": round(float(roc_auc_score(y_test, proba)), 4),
            "accuracy": round(float(accuracy_score(y_test, proba > 0.5)), 4),
            "latency_p95_ms": round(float(np.percentile(latencies, 95)), 3)}


@contextmanager
def _tracking(uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at uri, then put back what was there (it lives in os.environ)."""
    import mlflow

    before = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        if before is None:
            mlflow.set_tracking_uri("")
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            mlflow.set_tracking_uri(before)


def _open(store: Path) -> tuple[str, Any, Any, tuple[np.ndarray, ...]]:
    """Return (uri, client, experiment, split data) for a local store."""
    from mlflow import MlflowClient
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    store = store.resolve()
    store.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{store / 'mlflow.db'}"
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("opsbot-demo") or client.get_experiment(
        client.create_experiment("opsbot-demo", artifact_location=(store / "artifacts").as_uri()))
    X, y = load_breast_cancer(return_X_y=True)
    return uri, client, exp, tuple(train_test_split(X, y, test_size=0.3, random_state=7, stratify=y))


def _register(client: Any, exp: Any, name: str, r: Recipe, data: tuple[np.ndarray, ...], run_name: str) -> Any:
    """Train one recipe, log it with its measured metrics, and register it as a new version."""
    import mlflow

    X_train, X_test, y_train, y_test = data
    model = r.build().fit(X_train[:, :r.features], y_train)
    metrics = _measure(model, X_test[:, :r.features], y_test)
    with _tracking(client.tracking_uri):
        with mlflow.start_run(experiment_id=exp.experiment_id, run_name=run_name) as run:
            mlflow.log_metrics(metrics)
            mlflow.log_params({"estimator": type(model).__name__, "features": r.features})
            info = mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"],
                                            skops_trusted_types=TRUSTED)
        version = client.create_model_version(name, source=info.model_uri, run_id=run.info.run_id,
                                              tags=r.tags, model_id=info.model_id)
    return version, metrics


def seed(store: Path = DEFAULT_STORE, champions: dict[str, int] | None = None,
         log: Callable[[str], None] = print) -> str:
    """Train, log and register the demo models in a SQLite-backed store; return its tracking URI."""
    uri, client, exp, data = _open(store)
    existing = {m.name for m in client.search_registered_models()}
    for name, recipes in _recipes().items():
        if name in existing:
            log(f"{name}: already registered, left as is")
            continue
        client.create_registered_model(name, description=f"demo model trained on breast-cancer ({name})")
        for i, r in enumerate(recipes, start=1):
            _, metrics = _register(client, exp, name, r, data, f"{name}-v{i}")
            log(f"{name} v{i}: {metrics} {r.tags}")
        champion = (champions or {"churn": 1, "fraud": 1}).get(name)
        if champion:
            client.set_registered_model_alias(name, "champion", str(champion))
            log(f"{name}: champion -> v{champion}")
    return uri


def reset_aliases(store: Path, champions: dict[str, int] | None = None) -> None:
    """Put every demo model back to its starting aliases (champion only), for a repeatable demo."""
    _, client, _, _ = _open(store)
    for m in client.search_registered_models():
        for alias in list(m.aliases or {}):
            client.delete_registered_model_alias(m.name, alias)
        champion = (champions or {"churn": 1, "fraud": 1}).get(m.name)
        if champion:
            client.set_registered_model_alias(m.name, "champion", str(champion))


def register_retrained(store: Path, name: str = "churn") -> int:
    """Register a freshly retrained, validated version (as a nightly job would); return its number."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    _, client, exp, data = _open(store)
    recipe = Recipe(lambda: make_pipeline(StandardScaler(), LogisticRegression(C=2.0, max_iter=2000)), 30,
                    {"validation_status": "passed", "trained_by": "nightly-retrain"})
    version, _ = _register(client, exp, name, recipe, data, f"{name}-retrain")
    return int(version.version)


def main(argv: list[str] | None = None) -> None:
    """Seed the demo store from the command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=DEFAULT_STORE, help="directory of the local MLflow store")
    args = ap.parse_args(argv)
    uri = seed(args.store)
    print(f"seeded {uri}\nset models.tracking_uri to it (or run `mlflow server --backend-store-uri {uri}`)")


if __name__ == "__main__":
    main()
