"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, bias
WITH_GRAPH = (-1.645, 11.837, 2.701, 0.612, -0.565, 2.657, -0.021, 0.86, 2.225, -4.014, -12.065)
WITHOUT_GRAPH = (-2.537, 16.108, 0.0, 0.0, 0.0, 1.114, -0.146, 0.442, 1.115, -5.562, -13.472)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
