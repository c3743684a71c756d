"""The fifth held-out storm style: written before the failure-domain and late-delivery work of issue #20, scored once at the end.

Bare metal ("bare-metal"): services run as daemons on physical servers in one or two datacenters.
Servers sit in racks (3-8 servers each); each rack is fed by one power circuit (`pdu`), and a
circuit feeds one or two racks. Every service runs in every datacenter under the same name, its
1-3 instances on servers there. A service's alert carries `service`, `job`, `instance`
(`<server>.<dc>:<port>`), `datacenter`, `rack` and `team`; no `namespace`, `cluster`, `node` or
`host`. Hardware alerts come from node_exporter (`job="node"`, `instance=<server>.<dc>:9100`, with
`rack` and `pdu`) or from SNMP on the switches and power strips. Four kinds of trouble:

* a service cascade (as in the training styles) inside one datacenter;
* a rack failure: the top-of-rack switch goes down (`RackSwitchDown`, no service), then 50-100% of
  the services with an instance in that rack alert on it 15-120 s later, each with its callers
  cascading in that datacenter. Only the rack (and the datacenter) ties them;
* a power failure: the circuit's alert (`PDUPowerLoss`, naming the `pdu` only), then `HostDown` of
  every server it feeds 10-60 s later, then the services with an instance there 20-150 s later,
  with their callers' cascades: one incident over one or two racks;
* hardware noise: a disk, fan or power-supply warning about one server, nothing following.

Two datacenters run the same services, so an incident in one and another in the other are two
incidents even when they hit the same service names. Delivery is mixed: the services' alerts go
through Alertmanager (30 s batches grouped by alertname and datacenter, an HA pair re-sending
some); the hardware alerts through the DCIM's webhook, one alert per call, each change 0-90 s
late, so out of onset order. Each service's depends_on is declared with a chance of 50-100% per
storm (the cascades follow the whole graph). The knob ranges overlap the training styles'; racks,
power circuits, datacenters without a `cluster` label and the mixed delivery are new to it.
The fit (family_fit.py) never reads this module.
"""

from __future__ import annotations

import random
from datetime import timedelta

from engine.alerts.fingerprint import fingerprint_of
from engine.alerts.types import AlertEvent, Status
from engine.lab.alerts.family import BASE, FamAlert, Knobs, Storm, _Builder
from engine.lab.alerts.family_wire import Delivery, deliveries

HOLDOUT5_STYLE = "bare-metal"
HOLDOUT5_GROUP_BY = ("alertname", "datacenter")
RACK_ALERT, POWER_ALERT, HOST_DOWN = "RackSwitchDown", "PDUPowerLoss", "HostDown"
HARDWARE_NOISE = ["HostDiskSMARTWarning", "HostFanSpeedLow", "HostPSURedundancyLost", "HostMemoryECCCorrectable"]
HARDWARE_JOBS = ("node", "snmp")  # delivered by the DCIM webhook, late
MAX_LATE_S = 90.0


class _MetalBuilder(_Builder):
    """The family's cascade machinery with instances on servers in racks, and rack and power failures."""

    def __init__(self, k: Knobs, rng: random.Random, racks: int) -> None:
        super().__init__(k, rng)
        self.clusters = rng.sample(["fra1", "ams2", "dal3", "sjc1", "sin2"], k.clusters)  # datacenters
        self.rack_of: dict[str, str] = {}  # server -> rack
        self.pdu_of: dict[str, str] = {}  # rack -> its power circuit
        self.servers: dict[str, list[str]] = {}  # datacenter -> servers
        for dc in self.clusters:
            self.servers[dc] = []
            for r in range(racks):
                rack = f"{dc}-r{r + 1:02d}"
                self.pdu_of[rack] = f"{dc}-pdu{r // 2 + 1 if rng.random() < 0.7 else r + 101}"
                for j in range(rng.randint(3, 8)):
                    srv = f"{rng.choice(['db', 'app', 'cmp', 'stor'])}{r + 1:02d}{j:02d}.{dc}"
                    self.rack_of[srv] = rack
                    self.servers[dc].append(srv)
        self.where = {(s, dc): rng.sample(self.servers[dc], rng.randint(*k.instances))
                      for s in self.svcs for dc in self.clusters}
        self.port = {s: rng.choice([8080, 9090, 7000, 5432, 6379]) + i % 5 for i, s in enumerate(self.svcs)}

    def labels(self, svc: str, cl: str, name: str, sev: str, i: int) -> dict[str, str]:
        srv = self.where[(svc, cl)][i % len(self.where[(svc, cl)])]
        return {"alertname": name, "service": svc, "job": svc, "instance": f"{srv}:{self.port[svc]}",
                "datacenter": cl, "rack": self.rack_of[srv], "team": self.ns[svc].replace("team-", "ops-"),
                "severity": sev}

    def machine_labels(self, name: str, srv: str, dc: str) -> dict[str, str]:
        """Return node_exporter's labels for an alert about one server."""
        rack = self.rack_of[srv]
        return {"alertname": name, "job": "node", "instance": f"{srv}:9100", "datacenter": dc, "rack": rack,
                "pdu": self.pdu_of[rack], "severity": "critical"}

    def emit(self, affected: list[tuple[str, float, float]], cl: str, truth: str,
             names: dict[str, list[str]], inst: dict[str, int]) -> None:
        """Add a service cascade's alerts: at most one per instance the service has there."""
        super().emit(affected, cl, truth, names, {s: min(v, len(self.where[(s, cl)])) for s, v in inst.items()})

    def _hit(self, n: int, dc: str, down: set[str], t0: float, end: float, lag: tuple[float, float],
             hit: float) -> list[tuple[str, float, float, list[int]]]:
        """Return (service, onset, end, its instances on the failed servers or all) of the services hit and callers."""
        truth = f"inc-{n}"
        out: list[tuple[str, float, float, list[int]]] = []
        for s in self.svcs:
            idx = [i for i, srv in enumerate(self.where[(s, dc)]) if srv in down]
            if not idx or any(s == a for a, _, _, _ in out) or self.rng.random() > hit:
                continue
            cascade = self.spread(s, dc, t0 + self.rng.uniform(*lag), end - t0, truth)
            for x in cascade:
                if all(x[0] != a for a, _, _, _ in out):
                    out.append((*x, idx if x[0] == s else list(range(len(self.where[(x[0], dc)])))))
        return out

    def _service_alerts(self, dc: str, truth: str, hit: list[tuple[str, float, float, list[int]]]) -> None:
        for svc, t, e, which in hit:
            self.busy.setdefault((svc, dc), []).append((t, e, truth))
            for name in self.rng.sample(self.symptoms, min(len(self.symptoms), self.rng.randint(1, 2))):
                for i in which:
                    at = t + self.rng.uniform(0, 45)
                    a = FamAlert(self.labels(svc, dc, name, "warning", i), truth, at,
                                 max(at + 90, e + self.rng.uniform(-30, 30)))
                    self._flaps(a)
                    self.alerts.append(a)

    def rack_incident(self, n: int, t0: float, hit: float) -> bool:
        """Lose one rack's switch at t0: its alert, its servers' services, their callers' cascades."""
        dc = self.rng.choice(self.clusters)
        rack = self.rng.choice(sorted({self.rack_of[s] for s in self.servers[dc]}))
        end = t0 + self.rng.uniform(300, 1800)
        affected = self._hit(n, dc, {s for s in self.servers[dc] if self.rack_of[s] == rack}, t0, end, (15, 120), hit)
        if not affected:
            return False
        self.alerts.append(FamAlert({"alertname": RACK_ALERT, "job": "snmp", "instance": f"tor-{rack}:161",
                                     "datacenter": dc, "rack": rack, "severity": "critical"},
                                    f"inc-{n}", t0 + self.rng.uniform(0, 20), end))
        self._service_alerts(dc, f"inc-{n}", affected)
        return True

    def power_incident(self, n: int, t0: float, hit: float) -> bool:
        """Lose one power circuit at t0: its alert, HostDown of the servers it feeds, their services' cascades."""
        dc = self.rng.choice(self.clusters)
        pdu = self.rng.choice(sorted({self.pdu_of[self.rack_of[s]] for s in self.servers[dc]}))
        down = {s for s in self.servers[dc] if self.pdu_of[self.rack_of[s]] == pdu}
        end = t0 + self.rng.uniform(300, 1800)
        affected = self._hit(n, dc, down, t0 + 30, end, (20, 150), hit)
        if not affected:
            return False
        truth = f"inc-{n}"
        self.alerts.append(FamAlert({"alertname": POWER_ALERT, "job": "snmp", "instance": f"{pdu}:161",
                                     "datacenter": dc, "pdu": pdu, "severity": "critical"},
                                    truth, t0 + self.rng.uniform(0, 10), end))
        for srv in sorted(down):
            self.alerts.append(FamAlert(self.machine_labels(HOST_DOWN, srv, dc), truth,
                                        t0 + self.rng.uniform(10, 60), end + self.rng.uniform(0, 120)))
        self._service_alerts(dc, truth, affected)
        return True

    def hardware_noise(self, n: int) -> None:
        """Add n warnings about single servers, nothing following (each its own incident)."""
        for j in range(n):
            dc = self.rng.choice(self.clusters)
            t = self.rng.uniform(0, self.k.duration_s)
            self.alerts.append(FamAlert(self.machine_labels(self.rng.choice(HARDWARE_NOISE),
                                                            self.rng.choice(self.servers[dc]), dc) | {"severity": "warning"},
                                        f"hwnoise-{j}", t, t + self.rng.uniform(300, 3600)))


def holdout5_knobs(seed: int) -> tuple[Knobs, int, float, float, float, float]:
    """Draw the style's knobs: the family's, racks per datacenter, rack and power shares, share hit, graph coverage."""
    r = random.Random(f"knobs:{HOLDOUT5_STYLE}:{seed}")
    k = Knobs(services=r.randint(12, 35), shape=r.choice(["layered", "tree", "hub", "mesh"]), namespaces=r.randint(2, 5),
              clusters=r.randint(1, 2), hop_lag=(r.uniform(30, 60), r.uniform(90, 150)), incidents=r.randint(8, 14),
              duration_s=r.uniform(7200, 10800), concurrency=r.uniform(0.2, 0.5), recurrence=r.uniform(0.1, 0.3),
              flap=r.uniform(0.05, 0.2), dup=r.uniform(0.1, 0.4), noise=r.uniform(0.3, 1.0),
              label_reuse=r.uniform(0.3, 0.8), spread=r.uniform(0.4, 0.7), instances=(1, 3))
    return k, r.randint(3, 8), r.uniform(0.1, 0.25), r.uniform(0.1, 0.2), r.uniform(0.5, 1.0), r.uniform(0.5, 1.0)


def holdout5_storm(seed: int) -> Storm:
    """Generate one storm of the fifth held-out style (its depends_on is the operator's declared graph)."""
    k, racks, rack_share, power_share, hit, coverage = holdout5_knobs(seed)
    rng = random.Random(f"{HOLDOUT5_STYLE}:{seed}")
    b = _MetalBuilder(k, rng, racks)
    starts: list[float] = []
    for n in range(k.incidents):
        if starts and rng.random() < k.concurrency:
            t0 = rng.choice(starts) + rng.uniform(0, 240)
        else:
            t0 = rng.uniform(0, k.duration_s * 0.8)
        starts.append(t0)
        x = rng.random()
        if x < rack_share:
            done = b.rack_incident(n, t0, hit)
        elif x < rack_share + power_share:
            done = b.power_incident(n, t0, hit)
        else:
            done = False
        if not done:
            b.incident(n, t0)
    b.noise(round(k.noise * k.incidents))
    b.hardware_noise(round(k.noise * k.incidents / 2))
    declared = {s: ups for s, ups in sorted(b.deps.items()) if rng.random() < coverage}
    return Storm(HOLDOUT5_STYLE, seed, k, b.alerts, declared)


def mixed_deliveries(storm: Storm) -> list[Delivery]:
    """Return the style's wire: services' alerts in Alertmanager batches, hardware alerts one per call, late."""
    hw = [a for a in storm.alerts if a.labels.get("job") in HARDWARE_JOBS]
    svc = Storm(storm.style, storm.seed, storm.knobs, [a for a in storm.alerts if a.labels.get("job") not in HARDWARE_JOBS],
                storm.depends_on)
    out = deliveries(svc, group_by=HOLDOUT5_GROUP_BY)
    rng = random.Random(f"dcim:{storm.style}:{storm.seed}")
    for a in hw:
        fp = fingerprint_of(a.labels, frozenset())
        lag = rng.uniform(0, MAX_LATE_S * 0.75)
        changes, start = [("firing", a.start, a.start)], a.start
        for r, f in a.flaps:
            changes += [("resolved", r, start), ("firing", f, f)]
            start = f
        changes.append(("resolved", a.end, start))
        prev = -1.0
        for st, t, occ in changes:
            # Per-alert lag plus jitter, at most 90 s; a change never overtakes the alert's previous one.
            at = max(prev + 1.0, t + min(MAX_LATE_S, lag + rng.uniform(0, MAX_LATE_S * 0.25)))
            prev = at
            ev = AlertEvent(fp, Status(st), a.labels, {"summary": f"{a.labels['alertname']} on {a.labels['instance']}"},
                            BASE + timedelta(seconds=occ), BASE + timedelta(seconds=t) if st == "resolved" else None,
                            "dcim", f"dcim:{fp}", "", frozenset())
            out.append((at, (ev,)))
    out.sort(key=lambda d: d[0])
    return out
