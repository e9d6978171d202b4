"""Runs drill scenarios one at a time: check health, start the workload and the watchers, break, hold, heal,
wait until the cluster is healthy again, then judge what was recorded.

Healing is on a stack that is closed whatever happens (a failure, Ctrl-C), so a drill never leaves a
member stopped, frozen or cut off. A scenario after which the cluster does not recover ends the drill:
the next fault would land on a cluster already broken.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from provisioner.cluster.topology import Topology
from provisioner.drill.faults import HostControl, inject
from provisioner.drill.judge import (
    Marks,
    Observed,
    Verdict,
    conflicting_rounds,
    election_time,
    gap_bound,
    judge,
    measured,
    observe_history,
    vip_failover,
)
from provisioner.drill.observe import EtcdObserver, VipWatch, holds_vip_test
from provisioner.drill.scenarios import Scenario, resolve_targets, writer_host
from provisioner.providers import SshTarget
from provisioner.reach.remote import in_parallel, run_command
from provisioner.workload import Workload

Progress = Callable[[str], None]
HEALTHY_BEFORE_TIMEOUT = 90.0
RECOVERY_TIMEOUT = 150.0
WRITES_BEFORE_FAULT = 20
SETTLE_AFTER_RECOVERY = 1.5
# VRRP settles within a few advertisement intervals (1 s) once the healed balancer's keepalived runs.
VIP_SETTLE_TIMEOUT = 30.0


@dataclass
class ScenarioResult:
    scenario: Scenario
    verdict: Verdict
    targets: list[str] = field(default_factory=list)
    writer_host: str = ""
    marks: Marks | None = None
    observed: Observed | None = None
    bound: float = 0.0
    # Acknowledged writes per 100 ms from bucket_start, for the timeline picture.
    bucket_start: float | None = None
    writes_per_bucket: list[int] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict.passed


@dataclass
class Drill:
    topology: Topology
    tree: Path
    control: HostControl
    progress: Progress

    def __post_init__(self) -> None:
        self.observer = EtcdObserver(self.topology, self.control.targets)
        self.bound = gap_bound(self.topology)

    def run(self, scenarios: list[Scenario]) -> list[ScenarioResult]:
        results: list[ScenarioResult] = []
        for index, scenario in enumerate(scenarios, start=1):
            self.progress(f"[{index}/{len(scenarios)}] {scenario.name}: {scenario.title}")
            result = self.run_scenario(scenario)
            results.append(result)
            if result.observed is not None:
                self.progress(f"  measured: {measured(result.observed)}")
            self.progress(f"  {'passed' if result.passed else 'FAILED'}"
                          + ("" if result.passed else ": " + "; ".join(result.verdict.reasons)))
            if result.marks is None or result.marks.recovered is None:
                for skipped in scenarios[index:]:
                    results.append(ScenarioResult(skipped, Verdict(False, [
                        f"not run: the cluster did not recover from {scenario.name}"])))
                break
        return results

    def run_scenario(self, scenario: Scenario) -> ScenarioResult:
        observer_host = self.topology.control_plane_hosts[0].name
        before = self.observer.wait_healthy(observer_host, HEALTHY_BEFORE_TIMEOUT)
        if not before.healthy:
            reason = f"not run: the cluster is not healthy: {before.problems()}"
            return ScenarioResult(scenario, Verdict(False, [reason]))
        old_leader_id = before.members[before.leader].member_id if before.leader else None
        with contextlib.ExitStack() as watchers:
            vip = VipWatch(self.topology, self.control.targets) if self.topology.load_balancer_hosts else None
            if vip is not None:
                watchers.callback(vip.close)
            holder = vip.holder() if vip is not None else None
            targets = resolve_targets(scenario.fault, members=[h.name for h in self.topology.etcd_hosts],
                                      leader=before.leader, vip_holder=holder)
            writer = writer_host(self.topology, targets, scenario.fault)
            self.progress(f"  hits {', '.join(targets)}; writer on {writer}")
            watch = self.observer.watch(writer)
            watchers.callback(watch.close)
            workload = watchers.enter_context(Workload(self.topology, self.tree, writer_host=writer))
            workload.start()
            workload.wait_for_acknowledged(WRITES_BEFORE_FAULT, timeout=60)
            with contextlib.ExitStack() as healing:
                fault_start = time.time()
                inject(scenario.fault, targets, self.control, healing)
                fault_end = time.time()
                time.sleep(scenario.fault.hold_seconds)
                heal_start = time.time()
            heal_end = time.time()
            after = self.observer.wait_healthy(writer, RECOVERY_TIMEOUT)
            recovered = time.time() if after.healthy else None
            time.sleep(SETTLE_AFTER_RECOVERY)  # writes after recovery show that they resumed
            rounds = self.observer.rounds(watch.close())
            samples = vip.close() if vip is not None else {}
            history = workload.check()
            attempts = workload.attempts or []
        marks = Marks(fault_start, fault_end, heal_start, heal_end, recovered)
        # The VIP only has somewhere to go when its holder was hit.
        failover, takers = (vip_failover(samples, holder, fault_start, heal_start) if holder in targets
                            else (None, []))
        observed = Observed(
            **observe_history(history, attempts, marks),  # type: ignore[arg-type]
            election=election_time(rounds, old_leader_id, fault_start, heal_start),
            vip_failover=failover,
            vip_takers=takers,
            vip_holders_after=self.vip_holders() if vip is not None else None,
            recovery=None if recovered is None else recovered - heal_end,
            conflicting_leader_rounds=conflicting_rounds(rounds),
        )
        if not after.healthy:
            self.progress(f"  not healthy after healing: {after.problems()}")
        return ScenarioResult(scenario, judge(scenario, observed, self.bound), targets, writer, marks, observed,
                              self.bound, history.bucket_start, list(history.writes_per_bucket))

    def vip_holders(self) -> list[str]:
        """Balancers holding the VIP once VRRP has settled: every balancer asked at once, again each second
        until two rounds in a row agree on one holder (a balancer just powered on may take the VIP back,
        and for an instant of that hand-over two hold it or none), or the settle time is over."""
        holds = holds_vip_test(self.topology.endpoint.address)
        targets = [self.control.targets[host.name] for host in self.topology.load_balancer_hosts]

        def holding(target: SshTarget) -> bool:
            done = run_command(target, f"if {holds}; then echo 1; else echo 0; fi", root=False, timeout=30)
            return not done.problem and done.stdout.strip() not in ("", "0")

        deadline = time.monotonic() + VIP_SETTLE_TIMEOUT
        previous: list[str] | None = None
        while True:
            holders = [target.host for target, held in zip(targets, in_parallel(targets, holding), strict=True)
                       if held]
            if (len(holders) == 1 and holders == previous) or time.monotonic() > deadline:
                return holders
            previous = holders
            time.sleep(1)
