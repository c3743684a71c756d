"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, same_host, host_link, same_domain, domain_link, unmapped, bias
WITH_GRAPH = (-3.175, 13.4, 2.408, 0.384, -0.943, 1.824, -0.567, 0.864, 2.044, -5.133, 1.88, 0.662, 2.41, 0.79, 2.39, 0.304, -12.923)
WITHOUT_GRAPH = (-4.022, 14.176, 0.0, 0.0, 0.0, 0.669, -0.448, 0.366, 1.022, -6.184, 3.291, 0.328, 1.474, 0.259, 1.127, 0.0, -12.522)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
