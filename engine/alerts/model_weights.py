"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, bias
WITH_GRAPH = (-3.355, 11.103, 2.806, 0.649, -0.785, 2.637, -0.103, 0.688, 2.4, -3.808, 2.641, -11.919)
WITHOUT_GRAPH = (-4.192, 13.635, 0.0, 0.0, 0.0, 0.715, -0.263, 0.328, 1.236, -5.387, 3.972, -12.439)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
