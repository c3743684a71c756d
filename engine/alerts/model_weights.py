"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, same_host, host_link, unmapped, bias
WITH_GRAPH = (-3.428, 12.328, 2.581, 0.293, -1.007, 1.851, -0.482, 0.972, 2.044, -4.747, 2.298, 0.785, 3.345, 0.359, -12.225)
WITHOUT_GRAPH = (-4.221, 13.757, 0.0, 0.0, 0.0, 0.619, -0.352, 0.347, 1.087, -5.844, 3.649, 0.297, 1.955, 0.0, -12.298)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
