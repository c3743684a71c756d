"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the training styles' fit seeds, a threshold per variant, then the anonymous weight alone
on those storms with their labels renamed; the held-out style is never used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, same_host, host_link, same_domain, domain_link, unmapped, anonymous, label_match, bias
WITH_GRAPH = (-2.995, 12.462, 2.53, 0.261, -1.032, 1.773, -0.439, 0.97, 2.056, -5.014, 2.015, 0.689, 3.874, 1.005, 2.973, 0.317, 3.713, -0.018, -12.396)
WITHOUT_GRAPH = (-4.039, 13.898, 0.0, 0.0, 0.0, 0.614, -0.355, 0.356, 1.109, -6.064, 3.526, 0.29, 2.352, 0.252, 1.727, 0.0, 3.129, 1.125, -12.453)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
