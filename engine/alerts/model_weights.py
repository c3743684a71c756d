"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, same_host, host_link, same_domain, domain_link, unmapped, bias
WITH_GRAPH = (-2.863, 12.784, 2.499, 0.224, -1.045, 1.769, -0.457, 0.952, 2.031, -5.081, 1.717, 0.642, 2.593, 1.031, 2.453, 0.3, -12.52)
WITHOUT_GRAPH = (-3.934, 14.09, 0.0, 0.0, 0.0, 0.64, -0.4, 0.342, 1.115, -6.094, 3.307, 0.302, 1.645, 0.284, 1.302, 0.0, -12.522)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
