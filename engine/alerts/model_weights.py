"""Fitted weights of the grouping model (engine/alerts/model.py), in model.FEATURES order.

Reproduce with: python tests/benchmarks/bench_grouping_family.py --fit
(engine/lab/alerts/family_fit.py: iterated logistic regression over candidate features from
replays of the seen styles' fit seeds, each on its own wire, every style weighing the same, a threshold
per variant; a held-out style not yet scored is never used). A unit test re-runs the fit and checks these constants.
"""

# onset_2m, onset_15m, topology_1h, topology_2h, topology_3h, service, namespace, alertname, cooccurrence,
# other_cluster, spread, same_host, host_link, same_domain, domain_link, unmapped, anonymous, label_match, bias
WITH_GRAPH = (-0.929, 7.406, 2.139, -0.004, -0.973, 1.129, 0.003, 0.817, 0.85, -4.733, 0.487, 0.605, 2.683, 0.431, 2.227, 0.038, 1.164, -0.151, -7.624)
WITHOUT_GRAPH = (-1.409, 8.704, 0.0, 0.0, 0.0, 0.443, 0.113, 0.562, 0.62, -5.25, 1.371, 0.163, 1.859, 0.056, 1.473, 0.0, 0.755, 0.457, -8.13)
THRESHOLD_WITH_GRAPH = 0.4
THRESHOLD_WITHOUT_GRAPH = 0.45
