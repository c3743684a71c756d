"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant; the held-out style is never
used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, same_host, host_link, same_domain, domain_link, unmapped, bias
WITH_GRAPH = (-3.228, 13.351, 2.432, 0.389, -0.916, 1.835, -0.544, 0.88, 1.997, -5.126, 1.933, 0.69, 2.393, 0.776, 2.426, 0.348, -12.895)
WITHOUT_GRAPH = (-4.095, 14.131, 0.0, 0.0, 0.0, 0.578, -0.393, 0.419, 0.973, -6.17, 3.374, 0.332, 1.416, 0.22, 0.988, 0.0, -12.483)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
