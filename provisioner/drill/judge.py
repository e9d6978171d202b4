"""From what was recorded during a scenario to what was observed, and from there to a verdict. Pure.

"Writes continue" means the longest stretch without an acknowledged write, from the fault until the
cluster is healthy again, stays under a bound derived from etcd's election timeout:

    bound = 2 x election timeout            (followers notice the leader is gone, then elect; the
                                             election timeout is randomised up to twice its value)
          + the writer's failover time       (its request to the lost member times out, then it
                                             connects to the next endpoint: 2 s + 1 s)
          + 1 s                              (scheduling slack on a busy machine)

With etcd's defaults (1000 ms) that is 6 s. "Writes stop" means no write sent after the fault was
complete was acknowledged before healing began; either way writes must resume after healing.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from provisioner.cluster.topology import Topology
from provisioner.drill.observe import Round, VipSample
from provisioner.drill.scenarios import Scenario, Writes
from provisioner.workload import Attempt, HistoryReport
from provisioner.workload.writer import CONNECT_TIMEOUT_SECONDS, REQUEST_TIMEOUT_SECONDS

SLACK_SECONDS = 1.0


def gap_bound(topology: Topology) -> float:
    election_timeout = topology.cluster.etcd.election_timeout / 1000
    return 2 * election_timeout + CONNECT_TIMEOUT_SECONDS + REQUEST_TIMEOUT_SECONDS + SLACK_SECONDS


@dataclass(frozen=True)
class Marks:
    """Wall-clock times of the scenario's steps (hosts in the lab share this machine's clock)."""

    fault_start: float
    fault_end: float  # every target hit
    heal_start: float
    heal_end: float
    recovered: float | None  # every member answers, one leader, equal data; None: not within the timeout


@dataclass(frozen=True)
class Observed:
    writes: Writes
    writes_resumed: bool
    longest_gap: float
    acknowledged: int
    lost: int
    history_ok: bool
    history_lines: list[str]
    election: float | None = None  # seconds from the fault until another member led
    vip_failover: float | None = None  # seconds from the fault until another balancer held the VIP
    vip_takers: list[str] = field(default_factory=list)  # balancers other than the hit one that held the VIP
    vip_holders_after: list[str] | None = None
    recovery: float | None = None  # seconds from the end of healing until the cluster was healthy again
    conflicting_leader_rounds: int = 0


def measured(observed: Observed) -> str:
    """What was measured, in one line of words: the drill's progress output says it as each scenario ends,
    whatever width its table gets (a log or a narrow terminal cuts table cells short)."""
    parts = [f"writes {observed.writes}", f"longest gap {observed.longest_gap:.1f} s"]
    if observed.election is not None:
        parts.append(f"new leader after {observed.election:.1f} s")
    if observed.vip_failover is not None:
        parts.append(f"VIP moved after {observed.vip_failover:.1f} s")
    if observed.recovery is not None:
        parts.append(f"healthy {observed.recovery:.1f} s after healing")
    parts.append(f"{observed.acknowledged} writes acknowledged, {observed.lost} lost")
    return ", ".join(parts)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: list[str]


def acknowledged_times(attempts: Sequence[Attempt]) -> list[float]:
    return sorted(attempt.answered for attempt in attempts if attempt.acknowledged)


def longest_gap(attempts: Sequence[Attempt], start: float, end: float) -> float:
    """The longest time in [start, end] without an acknowledged write."""
    marks = [start, *(time for time in acknowledged_times(attempts) if start < time < end), end]
    return max((later - earlier for earlier, later in itertools.pairwise(marks)), default=0.0)


def observed_writes(attempts: Sequence[Attempt], marks: Marks) -> Writes:
    during = [a for a in attempts if a.acknowledged and a.sent >= marks.fault_end and a.answered <= marks.heal_start]
    return "continue" if during else "stop"


def election_time(rounds: Sequence[Round], old_leader_id: str | None, fault_start: float, until: float) -> float | None:
    """Seconds from the fault to the first round in which the answering members agree on another leader."""
    for found in rounds:
        if not fault_start < found.time <= until:
            continue
        leaders = found.leaders()
        if len(leaders) == 1 and old_leader_id not in leaders:
            return found.time - fault_start
    return None


def conflicting_rounds(rounds: Sequence[Round]) -> int:
    """Rounds in which answering members named different leaders (normal for an instant during an election)."""
    return sum(1 for found in rounds if len(found.leaders()) > 1)


def vip_failover(samples: dict[str, list[VipSample]], holder: str | None, fault_start: float,
                 until: float) -> tuple[float | None, list[str]]:
    """When a balancer other than the holder first held the VIP after the fault, and which ones did
    before `until`."""
    takers: dict[str, float] = {}
    for name, series in samples.items():
        if name == holder:
            continue
        for sample in series:
            if fault_start < sample.time <= until and sample.holds:
                takers[name] = sample.time
                break
    first = min(takers.values(), default=None)
    return (None if first is None else first - fault_start), sorted(takers)


def judge(scenario: Scenario, observed: Observed, bound: float) -> Verdict:
    expected = scenario.expected
    reasons: list[str] = []
    if observed.writes != expected.writes:
        reasons.append(f"writes {observed.writes}, expected writes {expected.writes}")
    if expected.writes == "continue" and observed.longest_gap > bound:
        reasons.append(f"longest gap without an acknowledged write {observed.longest_gap:.1f} s exceeds "
                       f"the bound of {bound:.1f} s")
    if not observed.writes_resumed:
        reasons.append("writes did not resume after healing")
    if not observed.history_ok or observed.lost:
        reasons.append(f"history check failed: {observed.lost} acknowledged writes lost")
        reasons += observed.history_lines[1:6]
    if expected.new_leader and observed.election is None:
        reasons.append("no other member became leader while the leader was down")
    if expected.vip_moves:
        if observed.vip_failover is None:
            reasons.append("the VIP did not move to another balancer")
        elif len(observed.vip_takers) != 1:
            reasons.append(f"the VIP moved to {len(observed.vip_takers)} balancers "
                           f"({', '.join(observed.vip_takers)}), expected exactly one")
    if observed.vip_holders_after is not None and len(observed.vip_holders_after) != 1:
        reasons.append(f"after healing the VIP is on {len(observed.vip_holders_after)} balancers "
                       f"({', '.join(observed.vip_holders_after) or 'none'}), expected exactly one")
    if observed.recovery is None:
        reasons.append("the cluster was not healthy again (every member answering, one leader, equal data) "
                       "within the recovery timeout")
    return Verdict(not reasons, reasons)


def observe_history(history: HistoryReport, attempts: Sequence[Attempt], marks: Marks) -> dict[str, object]:
    """The write-related fields of Observed."""
    window_end = marks.recovered if marks.recovered is not None else marks.heal_end
    return {
        "writes": observed_writes(attempts, marks),
        "writes_resumed": any(a.acknowledged and a.sent >= marks.heal_end for a in attempts),
        "longest_gap": longest_gap(attempts, marks.fault_start, window_end),
        "acknowledged": history.acknowledged,
        "lost": len(history.lost),
        "history_ok": history.ok,
        "history_lines": history.lines(),
    }
