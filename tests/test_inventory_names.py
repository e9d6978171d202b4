"""Every group the rendered inventory defines is a name no host may take."""

from __future__ import annotations

from provisioner.cluster.load import load_topology
from provisioner.inventory_names import RESERVED_HOST_NAMES
from provisioner.providers import StaticProvider
from provisioner.render.inventory import inventory
from tests.conftest import EXAMPLES


def test_the_inventory_s_groups_are_reserved_host_names() -> None:
    topology, _ = load_topology(EXAMPLES / "servers-example" / "cluster.yaml")
    rendered = inventory(topology, StaticProvider(topology).targets())
    groups = set(rendered["all"]["children"])
    assert groups == {"control_plane", "etcd", "load_balancer", "worker"}
    assert groups | {"all", "ungrouped", "localhost"} == set(RESERVED_HOST_NAMES)
