"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds; the held-out style is never used). A unit test
re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, bias
WITH_GRAPH = (-1.633, 9.538, 3.303, 0.881, -0.976, 3.328, -0.064, 0.486, 2.646, -3.184, -10.231)
WITHOUT_GRAPH = (-1.792, 13.141, 0.0, 0.0, 0.0, 0.696, -0.025, 0.493, 1.324, -4.992, -11.15)
THRESHOLD = 0.5
