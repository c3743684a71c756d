"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds; the held-out style is never used). A unit test
re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology, service, namespace, cluster, alertname, cooccurrence, bias
WITH_GRAPH = (-3.748, 5.497, 4.04, 4.135, 0.106, 6.233, 0.093, 0.926, -10.972)
WITHOUT_GRAPH = (-2.515, 7.55, 0.0, 0.862, 0.01, 8.46, 0.485, 1.318, -13.393)
THRESHOLD = 0.5
