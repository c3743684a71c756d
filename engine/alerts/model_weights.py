"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, follows, services, bias
WITH_GRAPH = (-4.598, 12.086, 2.679, 0.73, -0.829, 3.001, -0.222, 0.562, 1.863, -4.025, 3.325, 0.97, 0.0, -12.531)
WITHOUT_GRAPH = (-4.942, 14.677, 0.0, 0.0, 0.0, 1.655, -0.441, 0.247, 0.871, -5.425, 4.482, 1.685, 0.0, -13.801)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.4
