"""The eighth held-out storm style: written before the generalization work of issue #20's eighth session, scored once at its end.

A network edge ("edge-network"): CDN points of presence (POPs) with edge routers and their BGP
sessions (transit providers and IX peers), an origin of HAProxy load balancers in front of backend
servers, public hostnames (each served by one backend, under one of 1-3 DNS domains with their
nameservers), and synthetic probes from 1-4 prober regions. Alerts are what the usual exporters give:

* blackbox_exporter: `job` is the probe module's job (`http_2xx`, `icmp`, `dns_soa`), `instance` the
  probed target (`https://<host>/healthz`, a router's loopback, `<nameserver>:53`), and per storm the
  prober's region in `prober`, `probe_region` or `source` (absent when there is one prober);
  `SSLCertExpiringSoon` comes from the same http probe;
* the routers: `job="snmp"` with `instance=<router>` and `bgpPeerRemoteAddr` / `bgpPeerRemoteAs`, or
  `job="gnmic"` with `instance=<router>:57400` and `neighbor_address` / `peer_as`; in half the storms a
  relabelled `site=<pop>`;
* HAProxy's exporter: `job="haproxy"`, `instance="lb<k>-<dc>:8405"` (an HA pair per origin datacenter,
  both reporting every backend), `proxy=<backend>` and `server=<backend>-<i>`: one instance carries
  every backend;
* the CDN's exporter: one `instance` for everything, either Fastly's (`job="fastly"`,
  `service_name=<backend>`, `datacenter=<POP>`) or Cloudflare's (`job="cloudflare"`, `zone=<domain>`,
  `colocation=<POP>`).

Every alert has `severity` and `team` (`netops`, `sre` or `web`). No `namespace`, `cluster`, `service`,
node, host or rack. Kinds of trouble, effects seconds to minutes after causes:

* a backend down (all its servers, or a partial failure with errors): servers down on both load
  balancers, the backend down, probes of its hostnames failing from every prober, origin errors at
  2 or more POPs;
* a POP outage: every BGP session of its routers down, the routers' ping probes failing, the probes
  from the regions routed to that POP failing for most hostnames, CDN 5xx at that POP;
* a transit provider's trouble: its sessions down at 2 or more POPs, probes slow from 1-2 regions;
* DNS trouble: a domain's nameservers' probes failing, then its hostnames' http probes;
* a wildcard certificate not renewed: `SSLCertExpiringSoon` on every hostname of its domain at once;
* a rolling deploy of one backend: its servers down one at a time, 1-2.5 minutes apart;
* 2-4 noisy recurring alerts (a flaky probe, a flapping IX session, a POP's cache hit ratio) each firing
  its own incident every 15-45 minutes; one-off noise; whole incidents recurring 6-25 minutes later.

Delivery is Alertmanager's with its timers (family_holdout7_wire.am_timed_deliveries): per storm grouped
by (alertname), (alertname, job), (job) or (alertname, instance), group_wait 30 s, group_interval
60-300 s; an HA pair re-sends some. The declared graph (hostnames on their backend, 30-100% of the
entries) names hostnames and backends. The fit (family_fit.py) never reads this module.
"""

from __future__ import annotations

import random
from typing import Any

from engine.lab.alerts.family_book import AlertBook, Plan
from engine.lab.alerts.family import Knobs, Storm, place_incidents
from engine.lab.alerts.family_holdout7_wire import am_timed_deliveries
from engine.lab.alerts.family_wire import Delivery

HOLDOUT8_STYLE = "edge-network"
SERVER_DOWN, BACKEND_DOWN, HTTP_5XX = "HAProxyServerDown", "HAProxyBackendDown", "HAProxyBackendHigh5xx"
BGP_DOWN, SSL_SOON, SLOW = "BGPSessionDown", "SSLCertExpiringSoon", "BlackboxProbeSlowHttp"
CDN_ORIGIN, CDN_5XX, CDN_HIT = "CDNOriginErrorsHigh", "CDNEdge5xxHigh", "CDNCacheHitRatioLow"
IF_ERRORS = "InterfaceErrorsHigh"
MIN_SPAN_S = 360.0
POPS = ["ams", "fra", "lhr", "cdg", "iad", "sjc", "nrt", "sin", "gru", "syd", "ord", "dfw"]
TRANSIT = ["174", "3356", "1299", "2914", "6939", "6453"]
BACKENDS = ["api", "web", "auth", "checkout", "search", "media", "accounts", "graphql", "static", "payments"]
DOMAINS = ["shop.example", "example.com", "corp.example.net"]
REGIONS = ["eu-west", "us-east", "ap-south", "sa-east"]



class _EdgeBuilder(AlertBook):
    """POPs, routers, origin, hostnames, probers; incidents as alerts with truth; one cause per alert at a time."""

    def __init__(self, rng: random.Random, x: dict[str, Any]) -> None:
        super().__init__(rng, MIN_SPAN_S)
        self.v: dict[str, Any] = x["vocab"]
        self.pops = rng.sample(POPS, x["pops"])
        self.routers = {p: [f"edge{j}-{p}" for j in range(1, rng.randint(1, 2) + 1)] for p in self.pops}
        transit = rng.sample(TRANSIT, rng.randint(2, 4))
        self.sessions: dict[str, list[tuple[str, str]]] = {}  # router -> (peer address, peer AS)
        for p in self.pops:
            for r in self.routers[p]:
                peers = [(f"203.0.{TRANSIT.index(a)}.{len(self.sessions) + 1}", a) for a in rng.sample(transit, 2)]
                peers += [(f"185.1.{rng.randint(0, 255)}.{rng.randint(1, 254)}", str(rng.randint(13000, 64000)))
                          for _ in range(rng.randint(0, 2))]
                self.sessions[r] = peers
        self.dcs = ["dc-east", "dc-west"][:rng.randint(1, 2)]
        self.backends = rng.sample(BACKENDS, x["backends"])
        self.dc_of = {b: rng.choice(self.dcs) for b in self.backends}
        self.servers = {b: [f"{b}-{i}" for i in range(1, rng.randint(2, 6) + 1)] for b in self.backends}
        domains = DOMAINS[:rng.randint(1, 3)]
        self.hosts: dict[str, list[str]] = {}  # backend -> hostnames
        self.domain_of: dict[str, str] = {}
        for b in self.backends:
            for _ in range(rng.randint(1, 2)):
                d = rng.choice(domains)
                h = f"{b}.{d}" if f"{b}.{d}" not in self.domain_of else f"{b}-v2.{d}"
                self.hosts.setdefault(b, []).append(h)
                self.domain_of[h] = d
        self.domains = sorted(set(self.domain_of.values()))
        self.ns = {d: [f"ns{i}.{rng.choice(['dnsprov', 'nsone', 'route53'])}.example" for i in (1, 2)]
                   for d in self.domains}
        self.probers: list[str] = REGIONS[:x["probers"]]
        self.routed = {r: rng.choice(self.pops) for r in self.probers}  # a prober's anycast POP

    # Labels, as each exporter writes them.
    def _base(self, name: str, sev: str, team: str) -> dict[str, str]:
        return {"alertname": name, "severity": sev, "team": team}

    def probe(self, name: str, module: str, target: str, prober: str, sev: str = "critical") -> dict[str, str]:
        out = self._base(self.v["names"].get(name, name), sev, "sre")
        out.update({"job": module, "instance": target})
        if self.v["prober"] and len(self.probers) > 1:
            out[self.v["prober"]] = prober
        return out

    def url(self, host: str) -> str:
        return f"https://{host}/healthz"

    def bgp(self, router: str, peer: tuple[str, str], sev: str = "critical") -> dict[str, str]:
        out = self._base(BGP_DOWN, sev, "netops")
        snmp = self.v["router"] == "snmp"
        out.update({"job": "snmp" if snmp else "gnmic", "instance": router if snmp else f"{router}:57400",
                    ("bgpPeerRemoteAddr" if snmp else "neighbor_address"): peer[0],
                    ("bgpPeerRemoteAs" if snmp else "peer_as"): peer[1]})
        if self.v["site"]:
            out["site"] = router.split("-", 1)[1]
        return out

    def iface(self, router: str) -> dict[str, str]:
        out = self._base(IF_ERRORS, "warning", "netops")
        snmp = self.v["router"] == "snmp"
        out.update({"job": "snmp" if snmp else "gnmic", "instance": router if snmp else f"{router}:57400",
                    "ifName": f"et-0/0/{self.rng.randint(0, 7)}"})
        if self.v["site"]:
            out["site"] = router.split("-", 1)[1]
        return out

    def haproxy(self, name: str, backend: str, lb: int, server: str | None, sev: str) -> dict[str, str]:
        out = self._base(name, sev, "web")
        out.update({"job": "haproxy", "instance": f"lb{lb}-{self.dc_of[backend]}:8405", "proxy": backend})
        if server is not None:
            out["server"] = server
        return out

    def cdn(self, name: str, backend: str, pop: str, sev: str = "warning") -> dict[str, str]:
        out = self._base(name, sev, "web")
        if self.v["cdn"] == "fastly":
            out.update({"job": "fastly", "instance": "fastly-exporter:8080", "service_name": backend,
                        "datacenter": pop.upper()})
        else:
            out.update({"job": "cloudflare", "instance": "cloudflare-exporter:8080",
                        "zone": self.domain_of[self.hosts[backend][0]], "colocation": pop.upper()})
        return out

    # Kinds of trouble.
    def backend_down(self, t0: float) -> tuple[Plan, float]:
        """Plan a backend failing: its servers on both LBs, the backend, its hostnames' probes, origin errors."""
        rng = self.rng
        b = rng.choice(self.backends)
        full = rng.random() < 0.5
        srv = self.servers[b] if full else rng.sample(self.servers[b], rng.randint(1, len(self.servers[b])))
        plan: Plan = []
        for s in srv:
            t = t0 + rng.uniform(0, 60)
            plan += [(self.haproxy(SERVER_DOWN, b, lb, s, "warning"), t + rng.uniform(0, 15)) for lb in (1, 2)]
        if full:
            t = t0 + rng.uniform(30, 90)
            plan += [(self.haproxy(BACKEND_DOWN, b, lb, None, "critical"), t + rng.uniform(0, 15)) for lb in (1, 2)]
            for h in self.hosts[b]:
                plan += [(self.probe("ProbeFailed", "http_2xx", self.url(h), r), t0 + rng.uniform(30, 150))
                         for r in self.probers]
            for p in rng.sample(self.pops, rng.randint(min(2, len(self.pops)), len(self.pops))):
                plan.append((self.cdn(CDN_ORIGIN, b, p), t0 + rng.uniform(60, 240)))
        else:
            if rng.random() < 0.7:
                t = t0 + rng.uniform(30, 120)
                plan += [(self.haproxy(HTTP_5XX, b, lb, None, "warning"), t + rng.uniform(0, 15)) for lb in (1, 2)]
            for r in rng.sample(self.probers, rng.randint(0, min(2, len(self.probers)))):
                plan.append((self.probe(SLOW, "http_2xx", self.url(rng.choice(self.hosts[b])), r, "warning"),
                             t0 + rng.uniform(60, 240)))
        return plan, t0 + rng.uniform(600, 2400)

    def pop_outage(self, t0: float) -> tuple[Plan, float]:
        """Plan a POP going dark: its BGP sessions, its routers' pings, the probes routed there, CDN 5xx there."""
        rng = self.rng
        p = rng.choice(self.pops)
        plan: Plan = []
        for r in self.routers[p]:
            plan += [(self.bgp(r, peer), t0 + rng.uniform(0, 30)) for peer in self.sessions[r]]
            loop = f"10.{self.pops.index(p)}.0.{self.routers[p].index(r) + 1}"
            plan += [(self.probe("ProbeFailed", "icmp", loop, pr), t0 + rng.uniform(15, 60))
                     for pr in rng.sample(self.probers, rng.randint(1, min(2, len(self.probers))))]
        hosts = [h for hs in self.hosts.values() for h in hs]
        for pr in [r for r in self.probers if self.routed[r] == p]:
            for h in rng.sample(hosts, max(1, round(len(hosts) * rng.uniform(0.4, 1.0)))):
                plan.append((self.probe("ProbeFailed", "http_2xx", self.url(h), pr), t0 + rng.uniform(30, 120)))
        for b in rng.sample(self.backends, max(1, round(len(self.backends) * rng.uniform(0.5, 1.0)))):
            plan.append((self.cdn(CDN_5XX, b, p), t0 + rng.uniform(60, 180)))
        return plan, t0 + rng.uniform(600, 2400)

    def transit_trouble(self, t0: float) -> tuple[Plan, float]:
        """Plan one transit provider's trouble: its sessions down at several POPs, probes slow from 1-2 regions."""
        rng = self.rng
        asn = rng.choice(sorted({a for ps in self.sessions.values() for _, a in ps if a in TRANSIT}))
        plan: Plan = []
        pops = [p for p in self.pops if any(a == asn for r in self.routers[p] for _, a in self.sessions[r])]
        for p in rng.sample(pops, rng.randint(min(2, len(pops)), len(pops))):
            for r in self.routers[p]:
                plan += [(self.bgp(r, peer, "warning"), t0 + rng.uniform(0, 90))
                         for peer in self.sessions[r] if peer[1] == asn]
        hosts = [h for hs in self.hosts.values() for h in hs]
        for pr in rng.sample(self.probers, rng.randint(1, min(2, len(self.probers)))):
            for h in rng.sample(hosts, max(1, round(len(hosts) * rng.uniform(0.3, 0.7)))):
                plan.append((self.probe(SLOW, "http_2xx", self.url(h), pr, "warning"), t0 + rng.uniform(60, 240)))
        return plan, t0 + rng.uniform(600, 1800)

    def dns_trouble(self, t0: float) -> tuple[Plan, float]:
        """Plan a domain's DNS failing: its nameservers' probes, then its hostnames' http probes."""
        rng = self.rng
        d = rng.choice(self.domains)
        plan: Plan = []
        regions = rng.sample(self.probers, rng.randint(1, len(self.probers)))
        for ns in self.ns[d]:
            plan += [(self.probe("ProbeFailed", "dns_soa", f"{ns}:53", r), t0 + rng.uniform(0, 60)) for r in regions]
        for h in [h for h, dd in self.domain_of.items() if dd == d]:
            plan += [(self.probe("ProbeFailed", "http_2xx", self.url(h), r), t0 + rng.uniform(60, 300))
                     for r in regions]
        return plan, t0 + rng.uniform(600, 2400)

    def cert_expiring(self, t0: float) -> tuple[Plan, float]:
        """Plan a wildcard certificate not renewed: SSLCertExpiringSoon on every hostname of its domain at once."""
        rng = self.rng
        d = rng.choice(self.domains)
        plan: Plan = [(self.probe(SSL_SOON, "http_2xx", self.url(h), r, "warning"), t0 + rng.uniform(0, 45))
                      for h, dd in self.domain_of.items() if dd == d for r in self.probers]
        return plan, t0 + rng.uniform(1800, 4800)  # until someone renews it

    def deploy(self, t0: float) -> tuple[Plan, float]:
        """Plan a rolling deploy of one backend: its servers down one at a time, on both LBs."""
        rng = self.rng
        b = rng.choice(self.backends)
        plan: Plan = []
        t = t0
        for s in self.servers[b]:
            plan += [(self.haproxy(SERVER_DOWN, b, lb, s, "warning"), t + rng.uniform(0, 15)) for lb in (1, 2)]
            t += rng.uniform(60, 150)
        return plan, t + rng.uniform(60, 240)

    def incident(self, n: int, t0: float, shares: list[float], recurrence: float) -> None:
        """Add incident n of one kind at t0, and maybe its recurrences."""
        rng = self.rng
        kinds = [self.backend_down, self.pop_outage, self.transit_trouble, self.dns_trouble, self.cert_expiring,
                 self.deploy]
        for _ in range(30):
            kind = rng.choices(kinds, weights=shares)[0]
            plan, end = kind(t0)
            long = kind == self.cert_expiring
            if self.add(plan, f"inc-{n}", end, long):
                break
        else:
            return
        # `kind is self.deploy` never holds (a bound method is a new object each time): deploys recur,
        # as in every scored storm of this style.
        if long or kind is self.deploy or rng.random() >= recurrence:
            return
        last = end
        for r in range(rng.randint(1, 3)):
            start = last + rng.uniform(360, 1500)
            again = [(lab, start + (t - t0) * rng.uniform(0.7, 1.3)) for lab, t in plan]
            last = start + rng.uniform(600, 1800)
            if not self.add(again, f"inc-{n}-r{r + 1}", last):
                break

    def _noise_alert(self) -> dict[str, str]:
        rng = self.rng
        x = rng.random()
        if x < 0.35:
            h = rng.choice(sorted(self.domain_of))
            return self.probe("ProbeFailed", "http_2xx", self.url(h), rng.choice(self.probers))
        if x < 0.55:
            r = rng.choice(sorted(self.sessions))
            peers = [p for p in self.sessions[r] if p[1] not in TRANSIT] or self.sessions[r]
            return self.bgp(r, rng.choice(peers), "warning")
        if x < 0.7:
            return self.iface(rng.choice(sorted(self.sessions)))
        if x < 0.85:
            b = rng.choice(self.backends)
            return self.haproxy(SERVER_DOWN, b, rng.choice([1, 2]), rng.choice(self.servers[b]), "warning")
        return self.cdn(CDN_HIT, rng.choice(self.backends), rng.choice(self.pops))

    def depends_on(self, coverage: float) -> dict[str, list[str]]:
        """Return the operator's declared graph: each hostname on its backend."""
        deps = {h: [b] for b, hs in self.hosts.items() for h in hs}
        return {h: ups for h, ups in sorted(deps.items()) if self.rng.random() < coverage}


def holdout8_knobs(seed: int) -> tuple[Knobs, dict[str, Any]]:
    """Draw the style's knobs: the family's, and the edge's (sizes, vocabulary, shares, wire, coverage)."""
    r = random.Random(f"knobs:{HOLDOUT8_STYLE}:{seed}")
    k = Knobs(services=0, shape="edge", namespaces=0, clusters=1, hop_lag=(15.0, 300.0),
              incidents=r.randint(8, 16), duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.2, 0.5),
              recurrence=r.uniform(0.1, 0.3), flap=0.0, dup=r.uniform(0.05, 0.3), noise=r.uniform(0.3, 1.2),
              label_reuse=0.0, spread=0.0)
    probe_failed = r.choice(["ProbeFailed", "BlackboxProbeFailed", "EndpointDown"])
    vocab = {"prober": r.choice(["prober", "probe_region", "source", ""]), "router": r.choice(["snmp", "gnmic"]),
             "site": r.random() < 0.5, "cdn": r.choice(["fastly", "cloudflare"]),
             "names": {"ProbeFailed": probe_failed}}
    extra = {"pops": r.randint(3, 9), "backends": r.randint(3, 8), "probers": r.randint(1, 4), "vocab": vocab,
             "shares": [r.uniform(0.15, 0.3), r.uniform(0.1, 0.25), r.uniform(0.1, 0.2), r.uniform(0.05, 0.15),
                        r.uniform(0.03, 0.08), r.uniform(0.05, 0.15)],
             "recurring": r.randint(2, 4), "coverage": r.uniform(0.3, 1.0),
             "group_by": r.choice([("alertname",), ("alertname", "job"), ("job",), ("alertname", "instance")]),
             "group_interval": r.uniform(60, 300)}
    return k, extra


def holdout8_storm(seed: int) -> Storm:
    """Generate one storm of the eighth held-out style (its depends_on is the operator's declared graph)."""
    k, x = holdout8_knobs(seed)
    rng = random.Random(f"{HOLDOUT8_STYLE}:{seed}")
    b = _EdgeBuilder(rng, x)
    place_incidents(rng, k, lambda n, t0: b.incident(n, t0, x["shares"], k.recurrence), beside_s=300)
    b.recurring(x["recurring"], k.duration_s)
    b.noise(round(k.noise * k.incidents), k.duration_s)
    return Storm(HOLDOUT8_STYLE, seed, k, b.alerts, b.depends_on(x["coverage"]))


def edge_deliveries(storm: Storm) -> list[Delivery]:
    """Return the storm's Alertmanager deliveries: its grouping, group_wait 30 s, then its group_interval."""
    _, x = holdout8_knobs(storm.seed)
    return am_timed_deliveries(storm, x["group_by"], x["group_interval"], ("instance",))
