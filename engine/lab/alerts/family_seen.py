"""Every storm style by name with its wire: the training styles and the held-out styles already scored.

A held-out style becomes seen once its held-out figure is written down (docs/grouping.md); from then on
the fit may learn from it (family_fit.SEEN_STYLES) at its fit seeds, never the bench's. The eleventh
and twelfth styles (k8s-mesh, family_holdout11; tenant-cells, family_holdout12) were scored once
at their sessions' ends and wait in NOT_YET_FITTED for the next refit.
"""

from __future__ import annotations

from typing import Callable

from engine.lab.alerts.family import Storm
from engine.lab.alerts.family_holdout import HOLDOUT_GROUP_BY, HOLDOUT_STYLE, holdout_storm
from engine.lab.alerts.family_holdout2 import HOLDOUT2_GROUP_BY, HOLDOUT2_STYLE, holdout2_storm
from engine.lab.alerts.family_holdout3 import HOLDOUT3_GROUP_BY, HOLDOUT3_STYLE, holdout3_storm
from engine.lab.alerts.family_holdout4 import HOLDOUT4_STYLE, holdout4_storm, late_deliveries
from engine.lab.alerts.family_holdout5 import HOLDOUT5_STYLE, holdout5_storm, mixed_deliveries
from engine.lab.alerts.family_holdout6 import HOLDOUT6_STYLE, holdout6_storm, sns_deliveries
from engine.lab.alerts.family_holdout7 import HOLDOUT7_STYLE, holdout7_storm
from engine.lab.alerts.family_holdout7_wire import am_deliveries
from engine.lab.alerts.family_holdout8 import HOLDOUT8_STYLE, edge_deliveries, holdout8_storm
from engine.lab.alerts.family_holdout9 import HOLDOUT9_STYLE, holdout9_storm, saas_deliveries
from engine.lab.alerts.family_holdout10 import HOLDOUT10_STYLE, holdout10_storm, serving_deliveries
from engine.lab.alerts.family_holdout11 import HOLDOUT11_STYLE, holdout11_storm, mesh_deliveries
from engine.lab.alerts.family_holdout12 import HOLDOUT12_STYLE, holdout12_storm, tenant_deliveries
from engine.lab.alerts.family_train import TRAIN_STYLES, train_storm
from engine.lab.alerts.family_wire import Delivery, deliveries

# Seen (scored once, its figure written down) but not yet in the fit: the shipped weights were fitted
# before it was scored. The next refit drops it from here and fits on it.
NOT_YET_FITTED: tuple[str, ...] = (HOLDOUT11_STYLE, HOLDOUT12_STYLE)

Style = tuple[Callable[[int], Storm], Callable[[Storm], list[Delivery]]]

HELD_OUT_SEEN: dict[str, Style] = {
    HOLDOUT_STYLE: (holdout_storm, lambda s: deliveries(s, group_by=HOLDOUT_GROUP_BY)),
    HOLDOUT2_STYLE: (holdout2_storm, lambda s: deliveries(s, group_by=HOLDOUT2_GROUP_BY)),
    HOLDOUT3_STYLE: (holdout3_storm, lambda s: deliveries(s, group_by=HOLDOUT3_GROUP_BY)),
    HOLDOUT4_STYLE: (holdout4_storm, late_deliveries),  # one alert per webhook, 0-120 s late
    HOLDOUT5_STYLE: (holdout5_storm, mixed_deliveries),  # services batched, hardware one per call, late
    HOLDOUT6_STYLE: (holdout6_storm, sns_deliveries),  # one alarm per call, 0-60 s late, some twice
    HOLDOUT7_STYLE: (holdout7_storm, am_deliveries),  # Alertmanager's timers
    HOLDOUT8_STYLE: (holdout8_storm, edge_deliveries),
    HOLDOUT9_STYLE: (holdout9_storm, saas_deliveries),
    HOLDOUT10_STYLE: (holdout10_storm, serving_deliveries),
    HOLDOUT11_STYLE: (holdout11_storm, mesh_deliveries),
    HOLDOUT12_STYLE: (holdout12_storm, tenant_deliveries),
}


def style_of(name: str) -> Style:
    """Return (storm of a seed, its deliveries) of a seen style."""
    if name in TRAIN_STYLES:
        return (lambda seed: train_storm(name, seed)), deliveries
    return HELD_OUT_SEEN[name]
