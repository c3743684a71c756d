"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, follows, services, bias
WITH_GRAPH = (-5.139, 12.828, 2.351, 0.888, -0.562, 3.044, 0.081, 0.535, 0.947, -4.518, 3.31, 1.025, 2.04, -12.951)
WITHOUT_GRAPH = (-5.415, 14.767, 0.0, 0.0, 0.0, 1.721, -0.243, 0.507, 0.767, -5.662, 4.533, 1.407, 1.429, -13.777)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.3
