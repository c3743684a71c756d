"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, same_host, host_link, unmapped, bias
WITH_GRAPH = (-3.326, 12.157, 2.581, 0.293, -1.01, 1.869, -0.493, 0.976, 2.071, -4.749, 2.277, 0.756, 3.346, 0.364, -12.112)
WITHOUT_GRAPH = (-4.177, 13.425, 0.0, 0.0, 0.0, 0.58, -0.292, 0.403, 1.071, -5.821, 3.62, 0.286, 1.954, 0.0, -12.029)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
