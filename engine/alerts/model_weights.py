"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds; the held-out style is never used). A unit test
re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, young, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, bias
WITH_GRAPH = (-2.073, 2.229, 11.983, 3.752, 1.338, -0.109, 2.738, -0.015, 1.301, 3.785, -2.62, -14.161)
WITHOUT_GRAPH = (-0.901, 7.39, 7.662, 0.0, 0.0, 0.0, 0.403, 0.087, 1.137, 2.509, -4.796, -13.2)
THRESHOLD = 0.45
