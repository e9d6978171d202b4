"""Verdicts from hand-made records: each expectation must bite when the observation differs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from provisioner.drill.judge import (
    Marks,
    Observed,
    conflicting_rounds,
    election_time,
    judge,
    longest_gap,
    measured,
    observed_writes,
    vip_failover,
)
from provisioner.drill.observe import MemberStatus, Round, VipSample
from provisioner.drill.scenarios import Expected, Fault, Scenario
from provisioner.workload import Attempt

MARKS = Marks(fault_start=100.0, fault_end=100.2, heal_start=106.0, heal_end=107.0, recovered=109.0)


def _attempt(seq: int, sent: float, answered: float, outcome: str = "ok") -> Attempt:
    return Attempt(seq=seq, key=f"/k/{seq:08d}", value=f"r:{seq}", sent=sent, answered=answered,
                   outcome=outcome,  # type: ignore[arg-type]
                   revision=seq + 10 if outcome == "ok" else None, endpoint="https://e1:2379", error="")


def _steady(start: float, end: float, step: float = 0.1) -> list[Attempt]:
    count = int((end - start) / step)
    return [_attempt(i, start + i * step, start + i * step + 0.01) for i in range(count)]


def test_longest_gap_spans_the_window_edges() -> None:
    attempts = [_attempt(1, 99.0, 99.1), _attempt(2, 101.0, 101.5), _attempt(3, 104.0, 104.2)]
    assert longest_gap(attempts, 100.0, 109.0) == pytest.approx(4.8)
    assert longest_gap([], 100.0, 103.0) == pytest.approx(3.0)


def test_writes_stop_only_when_nothing_sent_after_the_fault_was_acknowledged_before_healing() -> None:
    before = _steady(95.0, 100.0)
    after = [_attempt(900 + i, 107.0 + i * 0.1, 107.05 + i * 0.1) for i in range(10)]
    in_flight = _attempt(500, 100.1, 100.3)  # sent before the fault was complete
    assert observed_writes([*before, in_flight, *after], MARKS) == "stop"
    assert observed_writes([*before, _attempt(501, 103.0, 103.1), *after], MARKS) == "continue"


def _observed(**changes: object) -> Observed:
    base = Observed(writes="continue", writes_resumed=True, longest_gap=2.0, acknowledged=100, lost=0,
                    history_ok=True, history_lines=["summary"], election=1.5, vip_failover=None, vip_takers=[],
                    vip_holders_after=None, recovery=2.0)
    return replace(base, **changes)  # type: ignore[arg-type]


SCENARIO = Scenario("etcd-kill-leader", "kill -9 etcd on the leader", Fault("kill", pick="leader"),
                    Expected("continue", new_leader=True))
VIP_SCENARIO = Scenario("lb-power-off-vip-holder", "power off the VIP holder", Fault("power_off", pick="vip_holder"),
                        Expected("continue", vip_moves=True))


def test_a_matching_observation_passes() -> None:
    assert judge(SCENARIO, _observed(), bound=6.0).passed


@pytest.mark.parametrize(("scenario", "changes", "reason"), [
    (SCENARIO, {"writes": "stop"}, "writes stop, expected writes continue"),
    (SCENARIO, {"longest_gap": 7.5}, "longest gap without an acknowledged write 7.5 s exceeds the bound of 6.0 s"),
    (SCENARIO, {"writes_resumed": False}, "writes did not resume after healing"),
    (SCENARIO, {"lost": 1, "history_ok": False}, "history check failed: 1 acknowledged writes lost"),
    (SCENARIO, {"election": None}, "no other member became leader while the leader was down"),
    (SCENARIO, {"recovery": None}, "the cluster was not healthy again"),
    (VIP_SCENARIO, {"vip_holders_after": ["lb1"]}, "the VIP did not move to another balancer"),
    (VIP_SCENARIO, {"vip_failover": 3.0, "vip_takers": ["lb2", "lb3"], "vip_holders_after": ["lb2"]},
     "the VIP moved to 2 balancers (lb2, lb3), expected exactly one"),
    (VIP_SCENARIO, {"vip_failover": 3.0, "vip_takers": ["lb2"], "vip_holders_after": ["lb1", "lb2"]},
     "after healing the VIP is on 2 balancers (lb1, lb2), expected exactly one"),
])
def test_each_expectation_bites(scenario: Scenario, changes: dict[str, object], reason: str) -> None:
    verdict = judge(scenario, _observed(**changes), bound=6.0)
    assert not verdict.passed
    assert any(line.startswith(reason) for line in verdict.reasons), verdict.reasons


def test_a_wrong_expectation_fails_a_good_observation() -> None:
    wrong = replace(SCENARIO, expected=Expected("stop"))
    assert judge(wrong, _observed(), bound=6.0).reasons == ["writes continue, expected writes stop"]


def _round(time: float, leaders: dict[str, str]) -> Round:
    return Round(time, {name: MemberStatus(member_id=name, leader=leader, raft_term=2, revision=5,
                                           error="" if leader != "down" else "refused")
                        for name, leader in leaders.items()})


def test_election_time_is_the_first_round_agreeing_on_another_leader() -> None:
    rounds = [
        _round(99.8, {"a": "a", "b": "a", "c": "a"}),
        _round(100.4, {"a": "down", "b": "a", "c": "a"}),
        _round(100.9, {"a": "down", "b": "0", "c": "0"}),
        _round(101.3, {"a": "down", "b": "c", "c": "b"}),
        _round(101.6, {"a": "down", "b": "c", "c": "c"}),
    ]
    assert election_time(rounds, "a", 100.0, 106.0) == pytest.approx(1.6)
    assert election_time(rounds[:3], "a", 100.0, 106.0) is None
    assert conflicting_rounds(rounds) == 1


def test_vip_failover_counts_the_balancers_that_took_it() -> None:
    samples = {
        "lb1": [VipSample(99.9, True), VipSample(100.0, True)],
        "lb2": [VipSample(100.1, False), VipSample(103.4, True), VipSample(103.5, True)],
        "lb3": [VipSample(103.0, False), VipSample(104.0, False)],
    }
    failover, takers = vip_failover(samples, "lb1", 100.0, 106.0)
    assert failover == pytest.approx(3.4)
    assert takers == ["lb2"]
    assert vip_failover({"lb1": samples["lb1"]}, "lb1", 100.0, 106.0) == (None, [])


def test_measured_says_what_was_seen_in_one_line() -> None:
    observed = Observed("continue", True, 2.14, 812, 0, True, [], election=1.26, vip_failover=None, recovery=3.0)
    assert measured(observed) == ("writes continue, longest gap 2.1 s, new leader after 1.3 s, "
                                  "healthy 3.0 s after healing, 812 writes acknowledged, 0 lost")
    stopped = replace(observed, writes="stop", election=None, vip_failover=4.5, recovery=None, lost=2)
    assert measured(stopped) == ("writes stop, longest gap 2.1 s, VIP moved after 4.5 s, "
                                 "812 writes acknowledged, 2 lost")
