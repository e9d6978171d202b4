"""The membership steps' commands, with SSH replaced by a recorder and facts by recorded ones: what
each step sends, that it skips work already done, and that data is moved aside, never deleted."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from provisioner import hostpaths
from provisioner.apply import membership
from provisioner.apply.membership import StepRunner
from provisioner.cluster.topology import Connection
from provisioner.errors import StepFailed
from provisioner.facts.model import ClusterFacts
from provisioner.plan.steps import (
    AddLearner,
    RemoveMember,
    RemoveMemberCertificates,
    StopAndArchive,
    UpdateControlPlaneEndpoints,
)
from provisioner.providers.base import SshTarget
from provisioner.reach.remote import Completed
from tests.plan.builders import CAS, member_id, peer_url, record, running, topology

THREE = ["etcd1", "etcd2", "etcd3"]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    commands: list[tuple[str, str]] = []

    def run_shell(target: SshTarget, script: str, *, timeout: int = 120) -> Completed:
        commands.append((target.host, script))
        return Completed(target.host, 0, "", "")
    monkeypatch.setattr(membership, "run_shell", run_shell)
    return commands


def _runner(facts: ClusterFacts, tmp_path: Path) -> StepRunner:
    wanted = topology(etcd_hosts=4)
    connection = Connection(user="root", port=22, accept_new_host_keys=False, become=False)
    targets = {h.host: SshTarget(h.host, h.address, connection) for h in facts.hosts}
    return StepRunner(wanted, tmp_path, targets, lambda: facts, record(THREE), CAS, lambda line: None, timeout=0)


def test_a_learner_already_listed_is_not_added_again(sent: list[tuple[str, str]], tmp_path: Path) -> None:
    facts = running(topology(etcd_hosts=4), [*THREE, "etcd4"], record(THREE), learners=("etcd4",))
    _runner(facts, tmp_path).run(AddLearner("etcd4", "why", peer_url=peer_url("etcd4")), facts)
    assert sent == []


def test_adding_a_learner_asks_a_voting_member(sent: list[tuple[str, str]], tmp_path: Path) -> None:
    facts = running(topology(etcd_hosts=4), THREE, record(THREE))
    with pytest.raises(StepFailed, match="not done after 0 s: the member list does not show it"):
        _runner(facts, tmp_path).run(AddLearner("etcd4", "why", peer_url=peer_url("etcd4")), facts)
    (host, script), = sent
    assert host == "etcd1"
    assert "member add etcd4 --peer-urls=https://10.0.0.24:2380 --learner" in script


def test_the_leader_is_never_removed(sent: list[tuple[str, str]], tmp_path: Path) -> None:
    facts = running(topology(etcd_hosts=4), [*THREE, "etcd4"], record(THREE), leader="etcd4")
    with pytest.raises(StepFailed, match="it leads the cluster"):
        _runner(facts, tmp_path).run(RemoveMember("etcd4", "why", member_id=member_id("etcd4")), facts)
    assert sent == []


def test_a_removed_member_is_removed_through_another_member(sent: list[tuple[str, str]], tmp_path: Path) -> None:
    facts = running(topology(etcd_hosts=4), [*THREE, "etcd4"], record(THREE))
    after = running(topology(etcd_hosts=4), THREE, record(THREE))
    runner = _runner(facts, tmp_path)
    runner.gather = lambda: after
    runner.run(RemoveMember("etcd4", "why", member_id=member_id("etcd4")), facts)
    (host, script), = sent
    assert host != "etcd4" and f"member remove {member_id('etcd4')}" in script
    assert "https://10.0.0.24:2379" not in script


def test_stopping_a_member_moves_its_data_aside_and_deletes_nothing(sent: list[tuple[str, str]],
                                                                   tmp_path: Path) -> None:
    facts = running(topology(etcd_hosts=4), THREE, record(THREE))
    _runner(facts, tmp_path).run(StopAndArchive("etcd4", "why", data_dir="/var/lib/etcd"), facts)
    (host, script), = sent
    assert host == "etcd4"
    assert "systemctl disable --now" in script
    assert "mv /var/lib/etcd /var/lib/etcd.removed-$stamp" in script
    assert "rm -rf" not in script and "rm -r " not in script


def test_the_endpoint_step_places_the_rendered_kubeadm_configuration_and_the_api_server_flag(
        sent: list[tuple[str, str]], tmp_path: Path) -> None:
    rendered = tmp_path / "hosts" / "cp1" / "kubeadm.yaml"
    rendered.parent.mkdir(parents=True)
    rendered.write_text("etcd:\n  external:\n    endpoints:\n    - https://10.0.0.21:2379\n")
    facts = running(topology(etcd_hosts=4), THREE, record(THREE))
    step = UpdateControlPlaneEndpoints("cp1", "why", endpoints=("https://10.0.0.21:2379",))
    _runner(facts, tmp_path).run(step, facts)  # the facts name no list: nothing left to wait for
    (host, script), = sent
    assert host == "cp1"
    encoded = base64.b64encode(rendered.read_bytes()).decode()
    assert f"echo {encoded} | base64 -d > /etc/kubernetes/provisioner/kubeadm.yaml.tmp" in script
    assert "chmod 0600 /etc/kubernetes/provisioner/kubeadm.yaml.tmp" in script
    # Run for real on copies: the manifest in the kubelet's folder, and one a stopped restart left parked.
    [line] = [line for line in script.splitlines() if "--etcd-servers=" in line]
    flag = "    - --etcd-servers=https://10.0.0.11:2379,https://10.0.0.12:2379\n"
    copies = {path: tmp_path / Path(path).name for path in (hostpaths.KUBE_APISERVER_MANIFEST,
                                                             hostpaths.KUBE_APISERVER_PARKED)}
    for path, copy in copies.items():
        line = line.replace(path, str(copy))
        copy.write_text(f"    - --advertise-address=10.0.0.11\n{flag}")
    subprocess.run(["sh", "-c", line], check=True)
    assert {copy.read_text() for copy in copies.values()} == {
        "    - --advertise-address=10.0.0.11\n    - --etcd-servers=https://10.0.0.21:2379\n"}
    copies[hostpaths.KUBE_APISERVER_PARKED].unlink()
    subprocess.run(["sh", "-c", line], check=True)  # a missing one is left missing
    assert not copies[hostpaths.KUBE_APISERVER_PARKED].exists()


def test_a_host_that_left_loses_its_server_and_peer_certificates_only(sent: list[tuple[str, str]],
                                                                     tmp_path: Path) -> None:
    facts = running(topology(etcd_hosts=4), THREE, record(THREE), extra_hosts=("etcd5",))
    _runner(facts, tmp_path).run(RemoveMemberCertificates("etcd5", "why"), facts)
    (host, script), = sent
    assert host == "etcd5"
    assert script == ("rm -f /etc/etcd/pki/server.crt /etc/etcd/pki/server.key /etc/etcd/pki/peer.crt "
                      "/etc/etcd/pki/peer.key")
