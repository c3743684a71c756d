"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, bias
WITH_GRAPH = (-3.628, 11.232, 2.864, 0.644, -0.886, 2.686, -0.156, 0.605, 2.513, -3.769, 2.913, -12.062)
WITHOUT_GRAPH = (-4.342, 13.385, 0.0, 0.0, 0.0, 0.651, -0.331, 0.307, 1.225, -5.419, 4.288, -12.27)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
