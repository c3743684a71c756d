"""Keep the Kubernetes PrometheusRule identical to deploy/prometheus/opsbot-rules.yaml.

Run `python tests/deploy/deploy_rules_sync.py` after editing the rules file; the test suite
fails while the two differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "opsbot-rules.yaml"
PROMETHEUS_RULE = DEPLOY / "kubernetes" / "base" / "prometheusrule.yaml"

HEADER = """\
# GENERATED from deploy/prometheus/opsbot-rules.yaml by tests/deploy/deploy_rules_sync.py;
# edit that file and re-run the script. Needs the Prometheus Operator CRDs; match your
# Prometheus's ruleSelector (see the production overlay).
"""


def prometheus_rule(rules_doc: dict[str, Any]) -> dict[str, Any]:
    """Wrap a Prometheus rules document in a PrometheusRule object."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "opsbot", "labels": {"app.kubernetes.io/name": "opsbot"}},
        "spec": {"groups": rules_doc["groups"]},
    }


class _Dumper(yaml.SafeDumper):
    """Write multi-line PromQL as block scalars so the generated file stays readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render() -> str:
    """Return the PrometheusRule manifest text for the current rules file."""
    doc = yaml.safe_load(RULES.read_text())
    return HEADER + yaml.dump(prometheus_rule(doc), Dumper=_Dumper, sort_keys=False, width=100)


def main() -> None:
    """Rewrite the PrometheusRule manifest."""
    PROMETHEUS_RULE.write_text(render())
    print(f"wrote {PROMETHEUS_RULE}")


if __name__ == "__main__":
    main()
