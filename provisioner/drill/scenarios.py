"""The fault scenarios a topology gets, each with the outcome the topology promises. Pure: no host is touched.

A scenario is small: which fault, on which hosts (fixed names, or "the leader" / "a follower" / "the VIP
holder", chosen when it runs), and what must be seen. The expectation follows from the layout alone:
etcd keeps accepting writes while a quorum of members is up ((n-1)/2 losses for n members); in the
stacked layout a control-plane host that goes down takes its etcd member with it; keepalived keeps the
VIP on exactly one balancer and moves it when its holder, or the haproxy on it, goes away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from provisioner.cluster.topology import Topology

FaultKind = Literal["kill", "stop", "freeze", "cut", "power_off", "stop_haproxy"]
# Picked at run time from what the cluster looks like then.
Pick = Literal["", "leader", "follower", "majority", "vip_holder"]
# What the environment must allow: process and service faults over SSH, power, or the network.
Capability = Literal["process", "power", "network"]
Writes = Literal["continue", "stop"]

ALL_CAPABILITIES: frozenset[Capability] = frozenset({"process", "power", "network"})

# kill -9 leaves etcd down until systemd restarts it (RestartSec=5s in the unit), so that fault is held
# a little less; the others are held long enough for an election and a VIP move to happen and be seen.
KILL_HOLD_SECONDS = 4.0
HOLD_SECONDS = 6.0
# keepalived notices a stopped haproxy after its check fails `fall` times `interval` apart (2 x 2 s), then
# the other balancer takes over at its next advertisement: hold well past that.
HAPROXY_HOLD_SECONDS = 12.0


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    hosts: tuple[str, ...] = ()
    pick: Pick = ""
    hold_seconds: float = HOLD_SECONDS

    @property
    def needs(self) -> Capability:
        if self.kind == "power_off":
            return "power"
        if self.kind == "cut":
            return "network"
        return "process"


@dataclass(frozen=True)
class Expected:
    writes: Writes
    # The etcd leader is hit while a quorum survives: another member must lead within the fault.
    new_leader: bool = False
    # The VIP holder is hit: the VIP must move to exactly one other balancer.
    vip_moves: bool = False


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    fault: Fault
    expected: Expected

    def describe_expected(self) -> str:
        parts = [f"writes {self.expected.writes}"]
        if self.expected.new_leader:
            parts.append("a new leader is elected")
        if self.expected.vip_moves:
            parts.append("the VIP moves to one other balancer")
        return ", ".join(parts)


def scenarios_for(topology: Topology, capabilities: frozenset[Capability] = ALL_CAPABILITIES) -> list[Scenario]:
    """Every scenario this topology gets in an environment with these capabilities, in the order they run."""
    members = [host.name for host in topology.etcd_hosts]
    tolerated = topology.host_losses_survived.etcd
    writes_after = _writes_after(tolerated)
    leader_survivable = len(members) > 1 and tolerated >= 1
    found = [
        Scenario("etcd-kill-leader", "kill -9 etcd on the leader",
                 Fault("kill", pick="leader", hold_seconds=KILL_HOLD_SECONDS),
                 Expected(writes_after(1), new_leader=leader_survivable)),
    ]
    if len(members) > 1:
        found += [
            Scenario("etcd-kill-follower", "kill -9 etcd on a follower",
                     Fault("kill", pick="follower", hold_seconds=KILL_HOLD_SECONDS), Expected(writes_after(1))),
            Scenario("etcd-stop-leader", "stop etcd on the leader, orderly (systemctl stop)",
                     Fault("stop", pick="leader"), Expected(writes_after(1), new_leader=leader_survivable)),
            Scenario("etcd-freeze-leader", "freeze etcd on the leader (SIGSTOP, then SIGCONT)",
                     Fault("freeze", pick="leader"), Expected(writes_after(1), new_leader=leader_survivable)),
            Scenario("etcd-cut-leader", "cut the leader's host off the network",
                     Fault("cut", pick="leader"), Expected(writes_after(1), new_leader=leader_survivable)),
        ]
    found.append(Scenario("etcd-stop-majority", f"stop etcd on {topology.etcd_quorum} of {len(members)} members",
                          Fault("stop", pick="majority"), Expected("stop")))
    found += _host_scenarios(topology, writes_after)
    found += _balancer_scenarios(topology)
    return [scenario for scenario in found if scenario.fault.needs in capabilities]


def _writes_after(tolerated: int) -> Callable[[int], Writes]:
    def writes(members_lost: int) -> Writes:
        return "continue" if members_lost <= tolerated else "stop"
    return writes


def _host_scenarios(topology: Topology, writes_after: Callable[[int], Writes]) -> list[Scenario]:
    """Power-offs of whole hosts. The writer stays on the first control-plane host, so these hit the last."""
    control_plane = [host.name for host in topology.control_plane_hosts]
    stacked = topology.layout == "stacked"
    found: list[Scenario] = []
    if len(control_plane) >= 2:
        one = (control_plane[-1],)
        lost = 1 if stacked else 0
        found.append(Scenario("cp-power-off-one", f"power off control-plane host {one[0]}",
                              Fault("power_off", hosts=one), Expected(writes_after(lost))))
    if len(control_plane) >= 3:
        two = tuple(control_plane[-2:])
        lost = 2 if stacked else 0
        found.append(Scenario("cp-power-off-two", f"power off control-plane hosts {' and '.join(two)}",
                              Fault("power_off", hosts=two), Expected(writes_after(lost))))
    if not stacked and len(topology.etcd_hosts) >= 1:
        last = topology.etcd_hosts[-1].name
        found.append(Scenario("etcd-power-off-one", f"power off etcd host {last}",
                              Fault("power_off", hosts=(last,)), Expected(writes_after(1))))
    return found


def _balancer_scenarios(topology: Topology) -> list[Scenario]:
    if len(topology.load_balancer_hosts) < 2:
        return []  # one balancer has nowhere to move the VIP to
    return [
        Scenario("lb-power-off-vip-holder", "power off the load balancer holding the VIP",
                 Fault("power_off", pick="vip_holder"), Expected("continue", vip_moves=True)),
        Scenario("lb-stop-haproxy-vip-holder", "stop haproxy on the load balancer holding the VIP",
                 Fault("stop_haproxy", pick="vip_holder", hold_seconds=HAPROXY_HOLD_SECONDS),
                 Expected("continue", vip_moves=True)),
    ]


def select(scenarios: list[Scenario], names: list[str]) -> tuple[list[Scenario], list[str]]:
    """The named scenarios in the order asked for, and the names this topology does not have."""
    by_name = {scenario.name: scenario for scenario in scenarios}
    return [by_name[name] for name in names if name in by_name], [name for name in names if name not in by_name]


def with_expected(scenario: Scenario, expected: Expected) -> Scenario:
    return replace(scenario, expected=expected)


def resolve_targets(fault: Fault, *, members: list[str], leader: str | None, vip_holder: str | None) -> list[str]:
    """The hosts a fault hits now. `members` in cluster-file order; the leader and VIP holder as observed."""
    if fault.hosts:
        return list(fault.hosts)
    if fault.pick == "leader":
        if leader is None:
            raise ValueError("no etcd leader is known")
        return [leader]
    if fault.pick == "follower":
        followers = [member for member in members if member != leader]
        return followers[-1:]
    if fault.pick == "majority":
        quorum = len(members) // 2 + 1
        # Followers first, so the leader is hit last (or not at all when a quorum of followers exists).
        ordered = [member for member in reversed(members) if member != leader] + ([leader] if leader else [])
        return ordered[:quorum]
    if fault.pick == "vip_holder":
        if vip_holder is None:
            raise ValueError("no load balancer holds the VIP")
        return [vip_holder]
    raise ValueError(f"fault {fault.kind} names no hosts")


def writer_host(topology: Topology, targets: list[str], fault: Fault) -> str:
    """A control-plane host the fault does not hit: the API server's vantage point. With a process fault
    on a single control-plane host, that host stays up and may carry the writer."""
    control_plane = [host.name for host in topology.control_plane_hosts]
    spared = [name for name in control_plane if name not in targets]
    if spared:
        return spared[0]
    if fault.needs == "process":
        return control_plane[0]
    raise ValueError("the fault hits every control-plane host: there is nowhere to write from")
