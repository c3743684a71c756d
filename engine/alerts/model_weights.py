"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds; the held-out style is never used). A unit test
re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology, service, namespace, cluster, alertname, cooccurrence, bias
WITH_GRAPH = (-3.737, 5.48, 4.044, 4.134, 0.103, 6.225, 0.097, 0.722, -10.953)
WITHOUT_GRAPH = (-2.514, 7.548, 0.0, 0.863, 0.011, 8.459, 0.487, 1.048, -13.391)
THRESHOLD = 0.5
