"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, follows, services, bias
WITH_GRAPH = (-4.664, 11.597, 2.58, 0.832, -0.853, 3.138, -0.236, 0.471, 1.718, -4.07, 3.704, -1.712, 2.047, -12.382)
WITHOUT_GRAPH = (-4.617, 13.966, 0.0, 0.0, 0.0, 2.313, -0.237, 0.261, 1.201, -5.176, 4.073, -1.493, 2.599, -13.805)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.3
