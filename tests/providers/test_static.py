"""Real servers: targets come straight from the cluster file, and up/down change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.cluster.load import load_topology
from provisioner.cluster.topology import Connection
from provisioner.providers import Provider, SshTarget, StaticProvider, ssh_targets
from tests.conftest import EXAMPLES

SERVERS = EXAMPLES / "servers-example" / "cluster.yaml"


def test_targets_are_the_cluster_addresses_with_per_host_overrides_merged() -> None:
    topology, _ = load_topology(SERVERS)
    targets = StaticProvider(topology).targets()
    assert [t.host for t in targets] == [h.name for h in topology.hosts]
    assert targets[0] == SshTarget("cp1", "10.20.0.11", Connection(
        user="admin", port=22, accept_new_host_keys=False, become=True, private_key="~/.ssh/id_ed25519",
        known_hosts="~/.ssh/known_hosts", bastion=None))
    worker = StaticProvider(topology).target("worker1")
    assert (worker.address, worker.connection.user, worker.connection.become) == ("10.20.0.41", "ops", True)
    assert worker.endpoint == "10.20.0.41:22"


def test_up_returns_the_targets_and_down_removes_nothing() -> None:
    topology, _ = load_topology(SERVERS)
    provider = StaticProvider(topology)
    said: list[str] = []
    assert provider.up(said.append) == provider.targets()
    provider.down(said.append)
    assert said == ["static hosts are not removed: nothing to do"]


def test_a_build_folder_without_vagrant_settings_uses_the_cluster_file(tmp_path: Path) -> None:
    topology, _ = load_topology(SERVERS)
    assert ssh_targets(topology, tmp_path) == StaticProvider(topology).targets()


def test_ipv6_endpoints_are_bracketed(tmp_path: Path) -> None:
    target = SshTarget("a", "fd00::5", Connection(user="root", port=2222, accept_new_host_keys=False, become=False))
    assert target.endpoint == "[fd00::5]:2222"


def test_a_provider_must_say_how_it_brings_hosts_up_and_down() -> None:
    class Incomplete(Provider):
        name = "incomplete"

    topology, _ = load_topology(SERVERS)
    with pytest.raises(TypeError, match="abstract"):
        Incomplete(topology)  # type: ignore[abstract]
    with pytest.raises(KeyError):
        StaticProvider(topology).target("nope")
