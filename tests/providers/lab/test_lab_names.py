"""Interface and namespace names: short enough for the kernel, distinct, and findable by prefix."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

import pytest

from provisioner.providers.lab import names

ADDRESSES = [ipaddress.IPv4Address("198.18.0.0") + octet for octet in range(1, 255)]


@pytest.mark.parametrize("cluster", ["a", "prod", "a-very-long-cluster-name-that-goes-on-and-on"])
def test_interface_names_fit_the_kernel_limit(cluster: str) -> None:
    assert len(names.bridge_name(cluster)) <= names.IFNAME_MAX
    assert all(len(names.veth_name(cluster, address)) <= names.IFNAME_MAX for address in ADDRESSES)


def test_names_are_stable_for_a_cluster() -> None:
    # Pinned: `down` finds a lab's leftovers by these names from another process, maybe another release.
    assert names.bridge_name("prod") == "plb6754af96"
    assert names.veth_prefix("prod") == "plv6754af96"
    assert names.veth_name("prod", ADDRESSES[10]) == "plv6754af960b"
    assert names.netns_name("prod", "cp1") == "plab-6754af96-cp1"


@pytest.mark.parametrize("seed", ["0", "1", "12345"])
def test_names_do_not_depend_on_the_interpreter_s_hash_seed(seed: str) -> None:
    code = ("import ipaddress; from provisioner.providers.lab import names; "
            "print(names.bridge_name('prod'), names.veth_name('prod', ipaddress.IPv4Address('198.18.0.11')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONHASHSEED": seed})
    assert result.stdout.split() == ["plb6754af96", "plv6754af960b"]


def test_every_machine_of_a_lab_gets_its_own_veth() -> None:
    veths = {names.veth_name("prod", address) for address in ADDRESSES}
    assert len(veths) == len(ADDRESSES)


def test_labs_do_not_share_bridges_or_prefixes() -> None:
    clusters = ["prod", "staging", "a", "a-b", "lab1", "lab2"]
    assert len({names.bridge_name(cluster) for cluster in clusters}) == len(clusters)
    for cluster in clusters:
        for other in clusters:
            if other != cluster:
                assert not names.veth_name(other, ADDRESSES[0]).startswith(names.veth_prefix(cluster))
                assert not names.netns_name(other, "cp1").startswith(names.netns_prefix(cluster))


def test_netns_prefix_does_not_confuse_clusters_that_prefix_each_other() -> None:
    # Cluster "a" with host "b-c" and cluster "a-b" with host "c" share a machine name, not a namespace.
    assert names.machine_name("a", "b-c") == names.machine_name("a-b", "c")
    assert names.netns_name("a", "b-c") != names.netns_name("a-b", "c")
    assert not names.netns_name("a-b", "c").startswith(names.netns_prefix("a"))


def test_machine_and_veth_names_belong_to_the_lab() -> None:
    assert names.machine_name("prod", "cp1") == "prod-cp1"
    assert names.veth_name("prod", ADDRESSES[10]).startswith(names.veth_prefix("prod"))
    assert names.netns_name("prod", "cp1").startswith(names.netns_prefix("prod"))


def test_bridge_alias_names_its_cluster() -> None:
    assert names.cluster_from_alias(names.bridge_alias("prod")) == "prod"
    assert names.cluster_from_alias("something else") is None
