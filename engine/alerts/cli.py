"""Offline commands: `opsbot eval grouping` and `opsbot simulate storm`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import InvalidInput

if TYPE_CHECKING:  # the alerts stack loads when a command runs, not for --help
    from engine.alerts.config import AlertsConfig


def load_alerts_config(path: str | None, stream_header: dict[str, Any]) -> AlertsConfig:
    """Return the `alerts:` section of an opsbot.yaml, else the stream header's, else defaults.

    A --config that cannot be read, is not YAML, or has no `alerts:` section is an error (exit 2),
    never a silent fall back to the defaults.
    """
    import yaml

    from engine.alerts.config import AlertsConfig

    data: Any = {}
    if path:
        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidInput(f"--config {path}: {exc.strerror or exc}",
                               hint="give the path of an opsbot.yaml with an `alerts:` section") from None
        except yaml.YAMLError as exc:
            raise InvalidInput(f"--config {path} is not valid YAML: {exc}") from None
        if not isinstance(doc, dict) or "alerts" not in doc:
            raise InvalidInput(f"--config {path} has no `alerts:` section",
                               hint="add `alerts:` (even `alerts: {}` for the defaults) or leave out --config")
        data = doc["alerts"] if doc["alerts"] is not None else {}
        if not isinstance(data, dict):
            raise InvalidInput(f"--config {path}: `alerts:` must be a mapping, not {type(data).__name__}")
    elif stream_header.get("alerts_config"):
        data = stream_header["alerts_config"]
    from pydantic import ValidationError

    from engine.core.config_errors import describe_all

    try:
        return AlertsConfig.model_validate(data)
    except ValidationError as exc:
        where = f"--config {path}" if path else "the stream's alerts_config"
        raise InvalidInput(f"{where}: {describe_all(exc, 'alerts')}",
                           hint="`opsbot check` validates a whole opsbot.yaml") from None


def _eval_grouping(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `--help` must not pay for it

    from dataclasses import asdict

    from engine.lab.alerts.evaluate import format_report, read_stream, replay

    try:
        lines = Path(args.stream).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidInput(f"{args.stream}: {exc.strerror}") from None
    head, stream = read_stream(lines)
    if not stream:
        raise InvalidInput(f"{args.stream} holds no deliveries")
    cfg = load_alerts_config(args.config, head)
    rep = asyncio.run(replay(stream, cfg, args.database))
    print(json.dumps(asdict(rep), indent=2) if args.json else format_report(rep))
    return 0 if rep.lost_incidents == 0 else 1


def add_eval_grouping(eval_subparsers: Any) -> None:
    """Add `grouping <alerts.jsonl> [--json]` under `opsbot eval`."""
    p = eval_subparsers.add_parser("grouping", help="replay a labelled alert stream and score the grouping")
    p.add_argument("stream", help="JSONL of deliveries; alerts may carry incident_truth")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--config", default=None, help="opsbot.yaml whose `alerts:` section to use "
                   "(default: the stream's header, else built-in defaults)")
    p.add_argument("--database", default=None, help="store URL (default: a temporary SQLite file)")
    p.set_defaults(func=_eval_grouping)


def _simulate_storm(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from engine.lab.alerts.storm import StormParams, deliveries, header

    kw: dict[str, Any] = {"seed": args.seed}
    names = {f.name for f in fields(StormParams)}
    for item in args.set or []:
        key, _, value = item.partition("=")
        if key not in names:
            raise InvalidInput(f"unknown storm parameter {key!r}", hint=f"one of {sorted(names)}")
        kw[key] = json.loads(value)
    params = StormParams(**kw)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    try:
        out.write(json.dumps(header(params)) + "\n")
        for d in deliveries(params):
            out.write(json.dumps(d) + "\n")
    finally:
        if args.out:
            out.close()
    return 0


def add_simulate_storm(simulate_subparsers: Any) -> None:
    """Add `storm [--seed N] [--set key=json ...] [--out file]` under `opsbot simulate`."""
    p = simulate_subparsers.add_parser("storm", help="generate a labelled alert storm as JSONL")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", metavar="KEY=JSON",
                   help="override a generator parameter, e.g. --set cascades=12 --set 'layers=[5,9,9]'")
    p.add_argument("--out", default=None, help="file to write (default stdout)")
    p.set_defaults(func=_simulate_storm)
