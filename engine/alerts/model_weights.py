"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, upstream, bias
WITH_GRAPH = (-3.619, 11.068, 2.74, 0.607, -0.88, 2.648, -0.1, 0.607, 2.597, -3.744, 2.973, 0.477, -11.986)
WITHOUT_GRAPH = (-4.51, 13.0, 0.0, 0.0, 0.0, 0.721, -0.114, 0.417, 1.245, -5.245, 4.165, 0.988, -12.023)
THRESHOLD_WITH_GRAPH = 0.4
THRESHOLD_WITHOUT_GRAPH = 0.4
