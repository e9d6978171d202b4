"""Moving a running cluster between layouts on real lab machines and real etcd: stacked -> external,
then back to stacked with apply killed at four step boundaries and run again, while the workload writes from cp1
through the endpoint list cp1 is configured with (its kubeadm configuration, followed as it changes).

One lab (mg-move: cp1..cp3 and etcd1..etcd3 on 198.18.17.0/24) holds the machines of both cluster
files; the tests run in order on it. Checks read the machines with etcdctl and systemctl over SSH, and
the writes with the workload's own checker, not with apply's code. Needs root and the lab tools."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from provisioner.cluster.load import load_topology
from provisioner.hostpaths import KUBEADM_CONFIG
from provisioner.providers.lab import lab_prerequisites_problems
from provisioner.workload import HistoryReport, Workload, check_history
from tests.apply.membership_labs import ETCDCTL, MembershipLab, apply_killed_at, polling

PROBLEMS = lab_prerequisites_problems()
pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(bool(PROBLEMS), reason="lab cannot run here: " + "; ".join(PROBLEMS)),
]

SUBNET = "198.18.17"
CONTROL_PLANE = ["cp1", "cp2", "cp3"]
ETCD_HOSTS = ["etcd1", "etcd2", "etcd3"]
MACHINES = {**{f"cp{i}": f"{SUBNET}.1{i}" for i in range(1, 4)}, **{f"etcd{i}": f"{SUBNET}.2{i}" for i in range(1, 4)}}


def write_file(lab: MembershipLab, layout: str) -> Path:
    """cp1..cp3 as the control plane; with layout external, etcd1..etcd3 as the etcd hosts."""
    state = lab.folder / "labs" / lab.name
    hosts = [{"name": name, "address": MACHINES[name], "roles": ["control_plane"]} for name in CONTROL_PLANE]
    if layout == "external":
        hosts += [{"name": name, "address": MACHINES[name], "roles": ["etcd"]} for name in ETCD_HOSTS]
    data = {"name": lab.name, "layout": layout,
            "endpoint": {"address": f"{SUBNET}.100", "load_balancer": "external"},
            "ssh": {"user": "root", "private_key": str(state / "id_ed25519"),
                    "known_hosts": str(state / "known_hosts")},
            "etcd": {"install": "package"}, "kubernetes": {"install": "none"}, "hosts": hosts}
    lab.cluster_file.write_text(yaml.safe_dump(data, sort_keys=False))
    return lab.cluster_file


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MembershipLab]:
    lab = MembershipLab("mg-move", "stacked", MACHINES, tmp_path_factory.mktemp("mg-move"))
    try:
        lab.lab.up()
        write_file(lab, "stacked")
        result = lab.cli("apply")
        assert result.exit_code == 0, result.stdout + result.stderr
        yield lab
    finally:
        lab.lab.down()


class Watch:
    """Each poll, every machine's `endpoint status`: cluster IDs seen, and the leader each
    member names per raft term (two leaders in one term would be a split brain)."""

    def __init__(self, lab: MembershipLab) -> None:
        self.lab = lab
        self.cluster_ids: set[int] = set()
        self.leaders_by_term: dict[int, set[int]] = {}
        self.rounds = 0

    def poll(self) -> None:
        with ThreadPoolExecutor(max_workers=len(MACHINES)) as pool:
            answers = list(pool.map(lambda host: self.lab.ssh(host, f"{ETCDCTL} endpoint status -w json",
                                                              check=False), MACHINES))
        for answer in answers:
            try:
                status = json.loads(answer)[0]["Status"]
            except (ValueError, LookupError):
                continue  # not a member (yet, or any more), or not answering at this moment
            self.cluster_ids.add(status["header"]["cluster_id"])
            if status["leader"]:
                self.leaders_by_term.setdefault(status["raftTerm"], set()).add(status["leader"])
        self.rounds += 1


@contextmanager
def watched(lab: MembershipLab) -> Iterator[Watch]:
    watch = Watch(lab)
    with polling(watch.poll):
        yield watch


@contextmanager
def writing(lab: MembershipLab, members: list[str]) -> Iterator[list[HistoryReport]]:
    """The workload writes from cp1 through the endpoint list its kubeadm configuration names; after the
    block, its history is checked against what `members` (the new layout's) hold."""
    topology, _ = load_topology(lab.cluster_file)
    reports: list[HistoryReport] = []
    with Workload(topology, lab.out, writer_host="cp1", endpoints_from=KUBEADM_CONFIG, probe=False,
                  max_seconds=300) as workload:
        workload.start()
        workload.wait_for_acknowledged(50, timeout=30)
        yield reports
        urls = {name: f"https://{MACHINES[name]}:2379" for name in members}
        reports.append(check_history(workload.stop(), workload.read_back(urls)))


def assert_nothing_lost(report: HistoryReport, watch: Watch, cluster_id: int) -> None:
    assert report.ok, "\n".join(report.lines())
    assert report.acknowledged > 100, report.lines()[0]
    assert watch.cluster_ids == {cluster_id}
    assert watch.rounds >= 5 and all(len(leaders) == 1 for leaders in watch.leaders_by_term.values()), \
        watch.leaders_by_term
    gap = report.longest_gap.seconds if report.longest_gap else 0.0
    print(f"\nworkload: {report.lines()[0]}; longest write gap {gap:.3f} s")


def assert_measured(printed: str) -> None:
    """apply's own measurement of the move: its duration, longest write gap and no lost write."""
    line = next((line for line in printed.splitlines() if "move between layouts took" in line), "")
    assert ", 0 lost" in line, printed
    print(f"apply: {line.strip()}")


def assert_left(lab: MembershipLab, hosts: list[str]) -> None:
    """etcd stopped and disabled, its data aside, its server and peer certificates gone, its client one kept."""
    for host in hosts:
        assert lab.unit(host) == ("inactive", "disabled"), host
        assert lab.ssh(host, "ls -d /var/lib/etcd.removed-*").split(), host
        assert lab.ssh(host, "ls /etc/etcd/pki").split() == ["ca.crt", "healthcheck-client.crt",
                                                              "healthcheck-client.key"], host


def verify_passes(lab: MembershipLab) -> None:
    report = lab.folder / "verify.json"
    result = lab.cli("verify", "--json", str(report))
    assert result.exit_code == 0, result.stdout + result.stderr


def test_stacked_to_external_moves_every_member_while_writes_continue(lab: MembershipLab) -> None:
    key, value = f"/mg/{uuid.uuid4().hex}", uuid.uuid4().hex
    lab.put("cp1", key, value)
    cluster_id = lab.one_cluster(CONTROL_PLANE)
    write_file(lab, "external")
    planned = lab.cli("plan")
    assert planned.exit_code == 0 and "moving from stacked to external etcd" in planned.stdout, planned.stdout
    refused = lab.cli("apply")
    assert refused.exit_code == 2 and "run again with --yes" in refused.stderr
    assert lab.unit("etcd1") != ("active", "enabled")
    started = time.monotonic()
    with watched(lab) as watch, writing(lab, ETCD_HOSTS) as reports:
        result = lab.cli("apply", "--yes")
        assert result.exit_code == 0, result.stdout + result.stderr
    print(f"stacked -> external: apply took {time.monotonic() - started:.1f} s")
    assert_measured(result.stdout)
    assert_nothing_lost(reports[0], watch, cluster_id)
    assert lab.one_cluster(ETCD_HOSTS) == cluster_id
    assert sorted(m["name"] for m in lab.members("etcd1")) == ETCD_HOSTS
    assert lab.get("etcd3", key) == value
    assert_left(lab, CONTROL_PLANE)
    for host in CONTROL_PLANE:
        documents = yaml.safe_load_all(lab.ssh(host, f"cat {KUBEADM_CONFIG}"))
        cluster = next(d for d in documents if d and d.get("kind") == "ClusterConfiguration")
        configured = cluster["etcd"]["external"]["endpoints"]
        assert configured == [f"https://{MACHINES[name]}:2379" for name in ETCD_HOSTS]
        assert lab.ssh(host, "ls /etc/kubernetes/pki/apiserver-etcd-client.crt").strip()
    assert "layout: external" in (lab.out / "record.yml").read_text()
    verify_passes(lab)
    assert "no changes" in lab.cli("plan").stdout


def test_external_to_stacked_interrupted_is_finished_by_running_apply_again(lab: MembershipLab) -> None:
    cluster_id = lab.one_cluster(ETCD_HOSTS)
    write_file(lab, "stacked")
    with watched(lab) as watch, writing(lab, CONTROL_PLANE) as reports:
        # Killed at one boundary of each kind, every run picking up from the facts the last one left:
        # a learner added but not started, the control plane half switched, a member removed but its
        # etcd still running, every old member gone but the record not yet written.
        printed = apply_killed_at(lab, "start etcd on cp1 joining the existing cluster", "--yes")
        assert "moving from external to stacked etcd" in printed
        learners = [m for m in lab.members("etcd1") if m.get("isLearner")]
        assert [m["peerURLs"] for m in learners] == [[f"https://{MACHINES['cp1']}:2380"]], learners
        apply_killed_at(lab, "update the etcd endpoints of the control plane on cp2", "--yes")
        remaining = lab.cli("plan").stdout
        # Every new member votes; cp3 (at least) still names the old members: its configuration was held back.
        assert "] promote " not in remaining and "[cp3] update the etcd endpoints" in remaining, remaining
        apply_killed_at(lab, "stop and disable etcd on etcd1", "--yes")
        assert "etcd1" not in [m["name"] for m in lab.members("cp1")]
        apply_killed_at(lab, "write the record of the cluster", "--yes")
        result = lab.cli("apply", "--yes")
        assert result.exit_code == 0, result.stdout + result.stderr
    assert_measured(result.stdout)
    assert_nothing_lost(reports[0], watch, cluster_id)
    assert lab.one_cluster(CONTROL_PLANE) == cluster_id
    assert sorted(m["name"] for m in lab.members("cp1")) == CONTROL_PLANE
    assert_left(lab, ETCD_HOSTS)
    assert "layout: stacked" in (lab.out / "record.yml").read_text()
    verify_passes(lab)
