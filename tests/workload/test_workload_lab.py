"""The workload on a real lab cluster (stacked, 3 members, 2 load balancers): the writer on cp1 keeps
writing while the etcd leader is killed with SIGKILL and started again, and afterwards every acknowledged
write is on every member, in revision order. Then the verdict is shown to bite on that real history: a key
deleted behind the writer's back is reported lost. Faults and checks use systemctl, etcdctl and ip on
the machines, never the workload's own code. One lab for the module; needs root and the lab tools."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from provisioner.providers.lab import lab_prerequisites_problems
from provisioner.workload import Attempt, HistoryReport, Workload, check_history
from tests.apply.labs import LabCluster, applied_lab, lab_cluster_file, topology_of

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]

# This suite's own lab: name prefix wl-, 198.18.11.0/24.
PREFIX, SUBNET = "wl-", "198.18.11"
ETCDCTL = ("ETCDCTL_API=3 etcdctl --cacert /etc/etcd/pki/ca.crt --cert /etc/etcd/pki/healthcheck-client.crt "
           "--key /etc/etcd/pki/healthcheck-client.key")
# A write path that loses its leader must elect a new one within a few election timeouts (1 s here).
GAP_BOUND_SECONDS = 10.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    root = tmp_path_factory.mktemp("workload")
    cluster_file = lab_cluster_file("lab-stacked", root / "clusters", root / "labs", prefix=PREFIX, subnet=SUBNET)
    with applied_lab(cluster_file, root / "labs", root / "build", "lab-stacked") as labbed:
        yield labbed


def endpoints(cluster: LabCluster) -> str:
    return ",".join(f"https://{member['address']}:2379" for member in cluster.etcd_members)


def leader(cluster: LabCluster) -> str:
    """The member etcd itself names as leader, asked through etcdctl on cp2."""
    status = cluster.ssh("cp2", f"{ETCDCTL} --endpoints={endpoints(cluster)} -w json endpoint status")
    answer = json.loads(status.stdout)
    by_id = {entry["Status"]["header"]["member_id"]: entry["Endpoint"] for entry in answer}
    leaders = {entry["Status"]["leader"] for entry in answer}
    assert len(leaders) == 1, f"members disagree on the leader: {answer}"
    url = by_id[leaders.pop()]
    return next(m["name"] for m in cluster.etcd_members if url == f"https://{m['address']}:2379")


def wait_until_healthy(cluster: LabCluster, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = cluster.ssh("cp2", f"{ETCDCTL} --endpoints={endpoints(cluster)} endpoint health", check=False)
        if result.returncode == 0:
            return
        assert time.monotonic() < deadline, f"etcd not healthy after {timeout:g} s: {result.stderr.strip()}"
        time.sleep(0.5)


def vip_holder(cluster: LabCluster) -> str:
    [holder] = [lb["name"] for lb in cluster.hosts_with("load_balancer")
                if cluster.ssh(lb["name"], f"ip -o -4 address show to {cluster.vip}").stdout.strip()]
    return holder


def writer_processes(cluster: LabCluster) -> str:
    return cluster.ssh("cp1", "pgrep -af 'provisioner/workload/.*/(writer|prober).py' || true").stdout.strip()


@dataclass
class LeaderKill:
    workload: Workload
    attempts: list[Attempt]
    report: HistoryReport
    leader: str
    kill_sent: float
    killed: float
    healed: float
    vip_holder: str


@pytest.fixture(scope="module")
def leader_kill(cluster: LabCluster) -> LeaderKill:
    holder = vip_holder(cluster)
    with Workload(topology_of(cluster.cluster_file), cluster.out, max_seconds=180) as workload:
        workload.start()
        before = workload.wait_for_acknowledged(100, timeout=30)
        victim = leader(cluster)
        kill_sent = time.time()
        cluster.ssh(victim, "systemctl kill -s KILL etcd")
        # Taken once the kill has returned: a write sent while the command was still on its way could
        # rightly be acknowledged by the victim.
        killed = time.time()
        # Writes flow again on the two members left, then the killed member is started again.
        during = workload.wait_for_acknowledged(before + 100, timeout=30)
        cluster.ssh(victim, "systemctl start etcd")
        healed = time.time()
        wait_until_healthy(cluster)
        workload.wait_for_acknowledged(during + 100, timeout=30)
        report = workload.check()
    return LeaderKill(workload, workload.stop(), report, victim, kill_sent, killed, healed, holder)


def test_killing_the_leader_loses_no_acknowledged_write(cluster: LabCluster, leader_kill: LeaderKill) -> None:
    report, attempts = leader_kill.report, leader_kill.attempts
    print("\n".join(report.lines()))
    assert report.ok, report.lines()
    assert report.lost == [] and report.order_violations == [] and report.duplicates == []
    assert report.members == ("cp1", "cp2", "cp3")
    acknowledged = [a for a in attempts if a.acknowledged]
    assert any(a.answered < leader_kill.kill_sent for a in acknowledged)
    assert any(a.sent > leader_kill.healed for a in acknowledged)
    revisions = [a.revision for a in sorted(acknowledged, key=lambda a: a.answered)]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    # The kill shows as a gap of at least one heartbeat, bounded by a few election timeouts.
    gap = report.longest_gap
    assert gap is not None and 0.1 <= gap.seconds < GAP_BOUND_SECONDS, report.lines()
    assert leader_kill.kill_sent - 1 <= gap.start <= leader_kill.healed, report.lines()


def test_the_writer_used_every_member_it_needed_and_left_nothing_running(cluster: LabCluster,
                                                                       leader_kill: LeaderKill) -> None:
    workload = leader_kill.workload
    assert workload.endpoints == [f"https://{m['address']}:2379" for m in cluster.etcd_members]
    assert {a.endpoint for a in leader_kill.attempts} <= set(workload.endpoints)
    killed_url = next(f"https://{m['address']}:2379" for m in cluster.etcd_members if m["name"] == leader_kill.leader)
    after = [a for a in leader_kill.attempts if a.acknowledged and leader_kill.killed < a.sent < leader_kill.healed]
    assert after and all(a.endpoint != killed_url for a in after)
    states = cluster.ssh("cp1", f"systemctl is-active {workload.writer_unit} {workload.prober_unit} || true").stdout
    assert set(states.split()) <= {"inactive", "failed", "unknown"}, states
    assert writer_processes(cluster) == ""


def test_the_prober_saw_the_endpoint_answer_from_the_vip_holder(leader_kill: LeaderKill) -> None:
    probes = leader_kill.workload.probes
    assert len(probes) >= 20
    assert all(probe.ok for probe in probes), [probe.error for probe in probes if not probe.ok][:3]
    assert {probe.balancer for probe in probes} == {leader_kill.vip_holder}, (
        {probe.neighbor_mac for probe in probes}, leader_kill.workload.balancer_problems)


def test_a_key_deleted_behind_the_writers_back_is_reported_lost(cluster: LabCluster,
                                                                leader_kill: LeaderKill) -> None:
    workload = leader_kill.workload
    victim = next(a for a in leader_kill.attempts if a.acknowledged and a.answered > leader_kill.healed)
    cluster.ssh("cp2", f"{ETCDCTL} --endpoints={endpoints(cluster)} del {victim.key}")
    report = check_history(leader_kill.attempts, workload.read_back())
    assert not report.ok
    assert sorted((lost.seq, lost.member, lost.found) for lost in report.lost) == [
        (victim.seq, member, None) for member in ("cp1", "cp2", "cp3")]


def test_the_writer_is_stopped_when_the_block_fails(cluster: LabCluster) -> None:
    topology = topology_of(cluster.cluster_file)
    with pytest.raises(RuntimeError, match="fault in the test"), \
            Workload(topology, cluster.out, writer_host="cp2", probe=False) as workload:
        workload.start()
        workload.wait_for_acknowledged(5, timeout=30)
        raise RuntimeError("fault in the test")
    state = cluster.ssh("cp2", f"systemctl is-active {workload.writer_unit} || true").stdout.strip()
    assert state in {"inactive", "failed", "unknown"}
    assert workload.attempts is not None and sum(a.acknowledged for a in workload.attempts) >= 5
