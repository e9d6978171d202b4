"""The membership steps' commands, with SSH replaced by a recorder and facts by recorded ones: what
each step sends, that it skips work already done, and that data is moved aside, never deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.apply import membership
from provisioner.apply.membership import StepRunner
from provisioner.cluster.topology import Connection
from provisioner.errors import StepFailed
from provisioner.facts.model import ClusterFacts
from provisioner.plan.steps import AddLearner, RemoveMember, StopAndArchive
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
