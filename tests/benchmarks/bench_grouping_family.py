"""Grouping on a family of storm styles: Opsbot with and without the graph, trivial baselines, the ceiling.

Run: .venv/bin/python tests/benchmarks/bench_grouping_family.py [--seeds 30] [--holdout] [--holdout2] [--holdout3]
[--holdout4] [--holdout5] [--holdout6] [--holdout7] [--holdout8] [--holdout9] [--holdout10] [--holdout11] [--holdout12] [--fit]

Styles: the seven training styles (family_train.py) and, with --holdout / --holdout2 / --holdout3 / --holdout4 /
--holdout5 / --holdout6 / --holdout7 / --holdout8 / --holdout9 / --holdout10 / --holdout11 / --holdout12, the held-out styles of family_holdout.py ... family_holdout12.py (each written and committed before
the fitting it checks, never fitted on; managed-platform is delivered by its own late_deliveries: one alert per
webhook, 0-120 s late; bare-metal by mixed_deliveries: services' alerts batched, hardware alerts late; serverless-queues by
sns_deliveries: one alarm per call, 0-60 s late; data-platform by am_deliveries: Alertmanager's group_wait and
group_interval, minutes late in batches; edge-network by edge_deliveries, saas-app by saas_deliveries and ml-serving by serving_deliveries, k8s-mesh by mesh_deliveries and tenant-cells by tenant_deliveries: the same timers). Seeds
0..N-1 are scored (N <= 1000); the fit uses seeds 1000-1009 (family_fit.FIT_SEEDS), disjoint.
Per style it prints median and worst pairwise F1 over the seeds for: Opsbot with the storm's dependency graph,
Opsbot without it, `alertname+service` in 10-minute sessions, `namespace` in 5-minute sessions,
and the best grouping keyed on fingerprints (truth with incidents that share a fingerprint
merged); then Opsbot's median compression, lost incidents summed over seeds, and alert entries
per second through the decision path (dedup, grouping, lifecycle, notify decision; in memory).
--fit runs the documented fit (family_fit.py) and prints constants for engine/alerts/model_weights.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]

from engine.lab.alerts.family_train import TRAIN_STYLES, train_storm  # noqa: E402 - after sys.path
from engine.lab.alerts.family_wire import deliveries  # noqa: E402 - after sys.path
from engine.lab.alerts.family_eval import (fingerprint_ceiling, score_opsbot,  # noqa: E402 - after sys.path
                                           session_baseline)
from engine.lab.alerts.family_holdout import HOLDOUT_GROUP_BY, HOLDOUT_STYLE, holdout_storm  # noqa: E402 - after sys.path
from engine.lab.alerts.family_holdout2 import (HOLDOUT2_GROUP_BY, HOLDOUT2_STYLE,  # noqa: E402 - after sys.path
                                               holdout2_storm)
from engine.lab.alerts.family_holdout3 import (HOLDOUT3_GROUP_BY, HOLDOUT3_STYLE,  # noqa: E402 - after sys.path
                                               holdout3_storm)
from engine.lab.alerts.family_holdout4 import (HOLDOUT4_STYLE, holdout4_storm,  # noqa: E402 - after sys.path
                                               late_deliveries)
from engine.lab.alerts.family_holdout5 import (HOLDOUT5_STYLE, holdout5_storm,  # noqa: E402 - after sys.path
                                               mixed_deliveries)
from engine.lab.alerts.family_holdout6 import (HOLDOUT6_STYLE, holdout6_storm,  # noqa: E402 - after sys.path
                                               sns_deliveries)
from engine.lab.alerts.family_holdout7 import HOLDOUT7_STYLE, holdout7_storm  # noqa: E402 - after sys.path
from engine.lab.alerts.family_holdout7_wire import am_deliveries  # noqa: E402 - after sys.path
from engine.lab.alerts.family_holdout8 import HOLDOUT8_STYLE, edge_deliveries, holdout8_storm  # noqa: E402 - after sys.path
from engine.lab.alerts.family_holdout9 import HOLDOUT9_STYLE, holdout9_storm, saas_deliveries  # noqa: E402 - after sys.path
from engine.lab.alerts.family_holdout10 import (HOLDOUT10_STYLE, holdout10_storm,  # noqa: E402 - after sys.path
                                                serving_deliveries)
from engine.lab.alerts.family_holdout11 import (HOLDOUT11_STYLE, holdout11_storm,  # noqa: E402 - after sys.path
                                                mesh_deliveries)
from engine.lab.alerts.family_holdout12 import (HOLDOUT12_STYLE, holdout12_storm,  # noqa: E402 - after sys.path
                                                tenant_deliveries)

COLS = ("opsbot+graph", "opsbot", "name+svc/10m", "ns/5m", "fp-ceiling")


def style_rows(style: str, seeds: int) -> dict:
    """Score one style over seeds; return per-column F1 lists and Opsbot's compression, lost, speed."""
    f1 = {c: [] for c in COLS}
    comp, lost, lost_ng, alerts, secs = [], 0, 0, 0, 0.0
    for seed in range(seeds):
        if style == HOLDOUT_STYLE:
            storm, feed = holdout_storm(seed), None
            feed = deliveries(storm, group_by=HOLDOUT_GROUP_BY)
        elif style == HOLDOUT2_STYLE:
            storm = holdout2_storm(seed)
            feed = deliveries(storm, group_by=HOLDOUT2_GROUP_BY)
        elif style == HOLDOUT3_STYLE:
            storm = holdout3_storm(seed)  # its depends_on is the partial graph an operator declared
            feed = deliveries(storm, group_by=HOLDOUT3_GROUP_BY)
        elif style == HOLDOUT4_STYLE:
            storm = holdout4_storm(seed)
            feed = late_deliveries(storm)  # one alert per webhook, 0-120 s late, out of onset order
        elif style == HOLDOUT5_STYLE:
            storm = holdout5_storm(seed)  # its depends_on is the partial graph an operator declared
            feed = mixed_deliveries(storm)  # services' alerts batched, hardware alerts one per call, late
        elif style == HOLDOUT6_STYLE:
            storm = holdout6_storm(seed)  # its depends_on is the partial app graph an operator declared
            feed = sns_deliveries(storm)  # one alarm per call, 0-60 s late, some twice
        elif style == HOLDOUT7_STYLE:
            storm = holdout7_storm(seed)  # its depends_on is the partial graph an operator declared
            feed = am_deliveries(storm)  # Alertmanager's timers: group_wait, then group_interval
        elif style == HOLDOUT8_STYLE:
            storm = holdout8_storm(seed)  # its depends_on is the partial graph an operator declared
            feed = edge_deliveries(storm)  # Alertmanager's timers: group_wait, then group_interval
        elif style == HOLDOUT9_STYLE:
            storm = holdout9_storm(seed)  # its depends_on is the partial graph an operator declared
            feed = saas_deliveries(storm)  # Alertmanager's timers: group_wait, then group_interval
        elif style == HOLDOUT10_STYLE:
            storm = holdout10_storm(seed)  # its depends_on is the partial graph an operator declared
            feed = serving_deliveries(storm)  # Alertmanager's timers: group_wait, then group_interval
        elif style == HOLDOUT11_STYLE:
            storm = holdout11_storm(seed)  # its depends_on is the partial graph an operator declared
            feed = mesh_deliveries(storm)  # Alertmanager's timers: group_wait, then group_interval
        elif style == HOLDOUT12_STYLE:
            storm = holdout12_storm(seed)  # its depends_on is the partial graph an operator declared
            feed = tenant_deliveries(storm)  # Alertmanager's timers: group_wait, then group_interval
        else:
            storm = train_storm(style, seed)
            feed = deliveries(storm)
        g, ng = score_opsbot(storm, feed, True), score_opsbot(storm, feed, False)
        f1["opsbot+graph"].append(g.f1)
        f1["opsbot"].append(ng.f1)
        f1["name+svc/10m"].append(session_baseline(storm, ("alertname", "service"), 600).f1)
        f1["ns/5m"].append(session_baseline(storm, ("namespace",), 300).f1)
        f1["fp-ceiling"].append(fingerprint_ceiling(storm).f1)
        comp.append(g.compression)
        lost, lost_ng = lost + g.lost, lost_ng + ng.lost
        alerts, secs = alerts + g.alerts + ng.alerts, secs + g.decide_s + ng.decide_s
    return {"f1": f1, "compression": statistics.median(comp), "lost": lost, "lost_ng": lost_ng,
            "rate": alerts / secs if secs else 0.0}


def table(styles: list[str], seeds: int) -> str:
    """Return the markdown table of every style."""
    head = "| style | " + " | ".join(f"{c} med / worst" for c in COLS) + \
           " | compression | lost (graph / no graph) | alerts/s |"
    lines = [head, "|" + "---|" * (len(COLS) + 4)]
    for style in styles:
        r = style_rows(style, seeds)
        cells = [f"{statistics.median(v):.2f} / {min(v):.2f}" for v in r["f1"].values()]
        name = f"{style} (held out)" if style in (HOLDOUT_STYLE, HOLDOUT2_STYLE, HOLDOUT3_STYLE, HOLDOUT4_STYLE,
                                                    HOLDOUT5_STYLE, HOLDOUT6_STYLE, HOLDOUT7_STYLE,
                                                    HOLDOUT8_STYLE, HOLDOUT9_STYLE, HOLDOUT10_STYLE,
                                                    HOLDOUT11_STYLE, HOLDOUT12_STYLE) else style
        lines.append(f"| {name} | " + " | ".join(cells) +
                     f" | {r['compression']:.2f} | {r['lost']} / {r['lost_ng']} | {r['rate']:,.0f} |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


def main() -> None:
    """Parse arguments and print the table (or the fit)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--holdout", action="store_true", help="score the held-out style too (once, at the end)")
    ap.add_argument("--holdout2", action="store_true", help="score the second held-out style too (once, at the end)")
    ap.add_argument("--holdout3", action="store_true", help="score the third held-out style too (once, at the end)")
    ap.add_argument("--holdout4", action="store_true", help="score the fourth held-out style too (once, at the end)")
    ap.add_argument("--holdout5", action="store_true", help="score the fifth held-out style too (once, at the end)")
    ap.add_argument("--holdout6", action="store_true", help="score the sixth held-out style too (once, at the end)")
    ap.add_argument("--holdout7", action="store_true", help="score the seventh held-out style too (once, at the end)")
    ap.add_argument("--holdout8", action="store_true", help="score the eighth held-out style too (once, at the end)")
    ap.add_argument("--holdout9", action="store_true", help="score the ninth held-out style too (once, at the end)")
    ap.add_argument("--holdout10", action="store_true", help="score the tenth held-out style too (once, at the end)")
    ap.add_argument("--holdout11", action="store_true", help="score the eleventh held-out style too (once, at the end)")
    ap.add_argument("--holdout12", action="store_true", help="score the twelfth held-out style too (once, at the end)")
    ap.add_argument("--fit", action="store_true", help="run the fit and print model_weights constants")
    a = ap.parse_args()
    if not 0 < a.seeds <= 1000:
        ap.error("--seeds must be 1-1000: the fit's storms are seeds 1000 and up")
    if a.fit:
        from engine.lab.alerts.family_fit import fit

        got = fit(log=print)
        print(f"WITH_GRAPH = {got['with_graph']}\nWITHOUT_GRAPH = {got['without_graph']}\n"
              f"THRESHOLD_WITH_GRAPH = {got['threshold_with_graph']}\n"
              f"THRESHOLD_WITHOUT_GRAPH = {got['threshold_without_graph']}")
        return
    styles = list(TRAIN_STYLES) + ([HOLDOUT_STYLE] if a.holdout else []) + ([HOLDOUT2_STYLE] if a.holdout2 else []) + \
        ([HOLDOUT3_STYLE] if a.holdout3 else []) + ([HOLDOUT4_STYLE] if a.holdout4 else []) + \
        ([HOLDOUT5_STYLE] if a.holdout5 else []) + ([HOLDOUT6_STYLE] if a.holdout6 else []) + \
        ([HOLDOUT7_STYLE] if a.holdout7 else []) + ([HOLDOUT8_STYLE] if a.holdout8 else []) + \
        ([HOLDOUT9_STYLE] if a.holdout9 else []) + ([HOLDOUT10_STYLE] if a.holdout10 else []) + \
        ([HOLDOUT11_STYLE] if a.holdout11 else []) + ([HOLDOUT12_STYLE] if a.holdout12 else [])
    print(f"{a.seeds} seeds per style\n")
    print("\n" + table(styles, a.seeds))


if __name__ == "__main__":
    main()
