"""Shared pieces for the auto-remediation tests: a runbook with a trigger, the config, alert bodies."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from engine.actor import Actor

PY = sys.executable
ADMIN, SRE = Actor("U_ADMIN", "ada"), Actor("U_SRE", "sam")


def runbook_yaml(marker: Path, *, mode: str = "auto", verify: str = "vector(1)", first_sleep: float = 0.0) -> str:
    """Return a restart runbook whose steps append to `marker`, verified by a PromQL query."""
    def append(word: str, sleep: float = 0.0) -> str:
        code = f"import sys, time; time.sleep({sleep}); open(sys.argv[1], 'a').write(sys.argv[2] + chr(10))"
        return json.dumps([PY, "-c", code, str(marker), word])
    return f"""
name: restart-api
description: restart a service's workers
environment: production
parameters:
  service: {{type: string, pattern: "^[a-z][a-z0-9-]*$"}}
triggers:
  - name: api-down
    alert: {{labels: {{alertname: ApiDown}}, severity: [critical], for: 1m}}
    mode: {mode}
steps:
  - {{name: drain, type: command, argv: {append("drain", first_sleep)}, reversible: true}}
  - {{name: restart, type: command, argv: {append("restart")}, reversible: true}}
verify:
  - name: healthy
    type: promql_check
    query: '{verify}'
    condition: {{op: "==", value: 1}}
    interval: 0.2s
    timeout: 1.5s
rollback:
  - {{name: undo, type: command, argv: {append("rollback")}, reversible: true}}
"""


CONFIG = """
environment: production
runbooks: {{dirs: [rb]}}
auto: {{interval_s: 3600, max_runs: {max_runs}, trip_after: 2}}
# Each storm's symptoms sit downstream of its root: one incident per storm, not one for all.
alerts: {{depends_on: {{web: [api], checkout: [api], api-web: [api], api-checkout: [api], api-jobs: [api], billing-web: [billing], billing-checkout: [billing], billing-jobs: [billing], search-web: [search], search-checkout: [search], search-jobs: [search]}}}}
policy:
  roles:
    admin: {{users: [U_ADMIN]}}
    sre: {{users: [U_SRE]}}
  rules:
    - {{action: "runbook:restart-api", env: production, effect: auto}}
    - {{action: "runbook:*", env: "*", roles: [sre], effect: allow}}
    - {{action: "auto:pause", env: "*", roles: [admin], effect: allow}}
    - {{action: "auto:promote", env: "*", roles: [admin], effect: approval,
       approval: {{approver_roles: [sre], approvals: 1}}}}
"""


def am_body(alerts: list[tuple[str, str, str]], minutes_ago: float = 5, group: str = "g") -> bytes:
    """Return an Alertmanager v4 body with (alertname, service, severity) alerts firing for a while."""
    start = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = [{"status": "firing", "labels": {"alertname": n, "service": s, "severity": sev}, "annotations": {},
              "startsAt": start, "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
              "fingerprint": f"{n}-{s}"} for n, s, sev in alerts]
    return json.dumps({"receiver": "opsbot", "status": "firing", "alerts": items, "groupLabels": {},
                       "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
                       "version": "4", "groupKey": group, "truncatedAlerts": 0}).encode()


def headline(row: Any) -> str:
    """Return an auto-remediation event's headline as the template words it (an outbox row)."""
    from bot.render import render

    return str(render(row.template, row.context)["text"]).removeprefix("<!here> ")
