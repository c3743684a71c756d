"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the seen styles' fit seeds, each on its own wire, every style weighing the same, a threshold
per variant; a held-out style not yet scored is never used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, same_host, host_link, same_domain, domain_link, unmapped, anonymous, label_match, bias
WITH_GRAPH = (-0.888, 7.456, 2.104, -0.01, -0.944, 1.148, -0.016, 0.777, 0.802, -4.778, 0.509, 0.621, 2.706, 0.427, 2.198, 0.062, 1.185, -0.251, -7.677)
WITHOUT_GRAPH = (-1.405, 8.78, 0.0, 0.0, 0.0, 0.48, 0.094, 0.532, 0.626, -5.22, 1.385, 0.154, 1.867, 0.062, 1.481, 0.0, 0.782, 0.476, -8.206)
THRESHOLD_WITH_GRAPH = 0.45
THRESHOLD_WITHOUT_GRAPH = 0.45
