"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, same_host, host_link, same_domain, domain_link, unmapped, bias
WITH_GRAPH = (-3.459, 12.832, 2.447, 0.208, -1.056, 1.742, -0.398, 0.885, 1.987, -5.138, 2.323, 0.554, 3.304, 0.752, 3.476, 0.259, -12.545)
WITHOUT_GRAPH = (-4.253, 14.26, 0.0, 0.0, 0.0, 0.665, -0.38, 0.336, 1.11, -6.14, 3.601, 0.242, 1.95, 0.026, 2.288, 0.0, -12.687)
THRESHOLD_WITH_GRAPH = 0.4
THRESHOLD_WITHOUT_GRAPH = 0.45
