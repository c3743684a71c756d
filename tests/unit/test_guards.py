"""Guards, not reminders: lint, types, import layers, import cycles, noqa reasons, a light CLI.

The mypy check is a ratchet: engine/ is checked with `strict = true` (pyproject.toml) and no
file may have more errors than tests/unit/mypy_baseline.json allows. After fixing errors, lower
the baseline with `python tests/unit/test_guards.py --write-mypy-baseline`."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).with_name("mypy_baseline.json")
BIN = Path(sys.executable).parent
LAYERS = {
    "engine": ("bot", "slack_bolt", "slack_sdk", "aiohttp.web", "jinja2"),
    "bot": ("mlflow", "prometheus_api_client"),
}
NOQA = re.compile(r"#\s*noqa\b(?P<rest>.*)$")


def modules() -> dict[str, Path]:
    """Return {dotted module name: path} for every module of bot/ and engine/."""
    out = {}
    for pkg in LAYERS:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def imported(name: str, path: Path) -> set[str]:
    """Return every module a module imports anywhere (top level, functions, TYPE_CHECKING)."""
    found: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def test_ruff_finds_nothing():
    ruff = BIN / "ruff"
    assert ruff.exists(), "ruff is in the test extra: pip install -e '.[test]'"
    out = subprocess.run([str(ruff), "check", "--no-cache", "bot", "engine", "tests"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def mypy_errors() -> Counter[str]:
    """Run mypy on engine/ as pyproject.toml configures it; return error counts per file."""
    out = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    if out.returncode not in (0, 1) or "error: " not in out.stdout and out.returncode:
        raise AssertionError(f"mypy did not run: {out.stdout[-2000:]}{out.stderr[-2000:]}")
    return Counter(line.split(":", 1)[0] for line in out.stdout.splitlines() if ": error: " in line)


def test_mypy_strict_on_engine_gains_no_errors():
    counts = mypy_errors()
    allowed = json.loads(BASELINE.read_text())
    worse = {f: f"{n} errors (allowed {allowed.get(f, 0)})" for f, n in counts.items() if n > allowed.get(f, 0)}
    assert not worse, ("new mypy errors (run `.venv/bin/mypy` to see them):\n"
                       + "\n".join(f"  {f}: {why}" for f, why in sorted(worse.items())))


def test_layers_hold():
    broken = []
    for name, path in modules().items():
        layer = name.split(".")[0]
        for target in imported(name, path):
            if any(target == f or target.startswith(f + ".") for f in LAYERS[layer]):
                broken.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not broken, "\n".join(sorted(broken))


# Lab code (simulators, evaluators, demo data) is reached only from the commands that run it.
LAB_IMPORTERS = ("engine.lab", "bot.demo", "bot.demo_alertmanager")


def test_lab_stays_out_of_the_product_path():
    broken = []
    for name, path in modules().items():
        if name.startswith(LAB_IMPORTERS) or name.endswith(".cli"):
            continue
        broken += [f"{path.relative_to(ROOT)} imports {t}" for t in imported(name, path)
                   if t == "engine.lab" or t.startswith("engine.lab.")]
    assert not broken, "product code imports lab code:\n" + "\n".join(sorted(broken))


def test_no_import_cycles():
    mods = modules()
    # An edge to the module's own package is not a cycle: importing a submodule runs its
    # package's __init__, and a package re-exporting its submodules is ordinary.
    graph = {m: {t for t in imported(m, p) if t in mods and t != m and not m.startswith(t + ".")}
             for m, p in mods.items()}
    cycles = strongly_connected(graph)
    assert not cycles, "import cycles:\n" + "\n".join("  " + " <-> ".join(c) for c in cycles)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the components of more than one node (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_cycle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_every_noqa_says_why():
    bare = []
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("engine/**/*.py"), *ROOT.glob("tests/**/*.py")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found = NOQA.search(line)
            # The codes, then a reason: "# noqa: F401 - registers its tables".
            if found and not re.match(r"\s*:?\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*\s*[-—(]\s*\S", found["rest"]):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bare, "noqa without a reason:\n" + "\n".join(bare)


# The composition roots own the process environment; engine/lab/demo_models.py points MLflow's
# fluent API (which only reads its tracking URI from there) at the demo store and puts it back.
ENVIRON_OWNERS = {"bot/main.py", "bot/runtime.py", "engine/lab/demo_models.py"}


def test_only_the_composition_root_touches_os_environ():
    found = []
    for path in modules().values():
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv")
                    and ast.unparse(node.value) == "os") and rel not in ENVIRON_OWNERS:
                found.append(f"{rel}:{node.lineno}")
    assert not found, f"settings are read once in the composition root and passed down; os.environ at {found}"


def test_cli_parser_loads_no_feature_stack():
    code = ("import sys; from bot.main import build_parser; build_parser(); "
            "print('\\n'.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    heavy = ("numpy", "pandas", "scipy", "sklearn", "mlflow", "sqlalchemy", "sqlmodel", "pydantic",
             "slack_bolt", "aiohttp", "jinja2", "asyncio", "engine.alerts.ingest", "engine.anomaly.detectors",
             "engine.rca.ranker", "engine.drift.service")
    loaded = [m for m in out.stdout.split() if any(m == h or m.startswith(h + ".") for h in heavy)]
    assert not loaded, f"`opsbot --help` imports {loaded[:10]}"


if __name__ == "__main__" and sys.argv[1:] == ["--write-mypy-baseline"]:
    BASELINE.write_text(json.dumps(dict(sorted(mypy_errors().items())), indent=1) + "\n")
    print(f"wrote {BASELINE}")


# Integration, scenario and journey tests obtain the engine the way `opsbot serve` does
# (engine.wiring.build_engine from settings); a service built by hand hides wiring bugs. A test may
# give build_engine another adapter of a port (a contract-tested twin), never a feature service.
HAND_BUILT = re.compile(r"\b(AlertService|ModelService|RcaService|Approvals|AuditLog|IncidentCorrections|"
                        r"WatchService|DriftService|RunbookExecutor|Policy|build_\w+_service|build_runbooks|"
                        r"build_approvals|build_governance|build_drift)\(")
HAND_BUILT_ALLOWED: set[str] = set()


def test_integration_tests_build_the_engine_from_settings():
    found = {str(path.relative_to(ROOT)) for folder in ("integration", "scenario", "journeys", "security")
             for path in (ROOT / "tests" / folder).rglob("*.py") if HAND_BUILT.search(path.read_text(encoding="utf-8"))}
    new = sorted(found - HAND_BUILT_ALLOWED)
    assert not new, "build the engine with engine.wiring.build_engine (or bot.runtime) from settings:\n" + "\n".join(new)
    gone = sorted(HAND_BUILT_ALLOWED - found)
    assert not gone, "no longer hand-built: remove from HAND_BUILT_ALLOWED:\n" + "\n".join(gone)
