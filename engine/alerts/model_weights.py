"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, same_host, host_link, same_domain, domain_link, unmapped, bias
WITH_GRAPH = (-2.854, 12.822, 2.499, 0.227, -1.043, 1.769, -0.461, 0.953, 2.024, -5.088, 1.685, 0.648, 2.559, 0.993, 2.425, 0.303, -12.533)
WITHOUT_GRAPH = (-3.892, 14.01, 0.0, 0.0, 0.0, 0.636, -0.396, 0.335, 1.102, -6.09, 3.302, 0.308, 1.621, 0.286, 1.199, 0.0, -12.471)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
